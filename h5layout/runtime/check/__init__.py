"""Checking files against layouts: which layout a file claims (:mod:`.detect`), the rules
(:mod:`.checker`), one validation per file (:mod:`.validate`), findings and report formats
(:mod:`.report`), and repair of what a killed writer left (:mod:`.repair`). Reads files through
the storage layer; never through the savers or loaders."""
