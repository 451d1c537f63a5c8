"""What users look with: the tree ``inspect`` prints (:mod:`.tree`), copies between backends
(:mod:`.copy`) and PyMoDAQ's H5BrowserUtil and exporters (:mod:`.browsing`)."""
