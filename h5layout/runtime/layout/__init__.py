"""What a compiled layout decided, as the runtime reads it.

The resolved spec (:mod:`.spec`), the bindings of layout-less savers
(:mod:`.default_bindings`), the value rules attributes and data points are checked against
(:mod:`.attrcheck`, :mod:`.point_checks`, :mod:`.patterns`) and the cache of layouts
compiled on this machine (:mod:`.cache`). Pure: no file is opened here.
"""
