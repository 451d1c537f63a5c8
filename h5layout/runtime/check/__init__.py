"""Checking files against layouts: which layout a file claims (:mod:`.detect`), the rules
(:mod:`.rules`, one module per family with its codes and severities), the walk that applies
them (:mod:`.checker`), one validation per file (:mod:`.validate`), findings and report
formats (:mod:`.findings`, :mod:`.report`), and repair of what a killed writer left
(:mod:`.repair`). Reads files through the storage backend interface only (any backend, HSDS
domains included); never through the savers or loaders."""
