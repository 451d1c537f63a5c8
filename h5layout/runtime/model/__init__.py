"""The data model savers take and loaders return: :class:`~.data.Axis`,
:class:`~.data.DataWithAxes`, :class:`~.data.DataToExport`, PyMoDAQ's enums
(:mod:`.enums`), conversions to pymodaq_data's own objects (:mod:`.datamodel`) and to xarray
(:mod:`.xarray_`), and plots (:mod:`.plot`). Pure: no file is opened here."""
