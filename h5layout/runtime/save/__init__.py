"""Writing files the layout's way, on the layout-bound file
(:class:`~h5layout.runtime.storage.lowlevel.H5SaverLowLevel`): data, axis, background and
error-bar savers (:mod:`.data`), rows appended and scan points written point by point
(:mod:`.points`), DataToExport savers (:mod:`.dte`), module savers for detectors, actuators,
scans and loggers (:mod:`.modules`) and the settings-driven H5SaverBase/H5Saver
(:mod:`.h5saver`, :mod:`.h5saver_lazy`, :mod:`.h5saver_qt`, :mod:`.params`)."""
