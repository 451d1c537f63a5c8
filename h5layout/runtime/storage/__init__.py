"""Files and their nodes: the backends (h5py, PyTables, h5pyd) behind one interface
(:mod:`.backends`), the :class:`~.h5backend.H5Backend` facade and the node wrappers it
hands out (both in :mod:`.h5backend`), the layout-bound file savers and loaders share
(:class:`~.lowlevel.H5SaverLowLevel`: node types, names and flush policy from the layout's
bindings), row buffers and scan point blocks (:mod:`.growing`), bookkeeping attributes
(:mod:`.bookkeeping`), the superblock probe (:mod:`.probe`) and SWMR (:mod:`.swmr`).
Library errors become h5layout's errors here and nowhere else."""
