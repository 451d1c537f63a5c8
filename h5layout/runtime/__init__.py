"""Everything that touches a file: backends, node wrappers, attribute codec, data model,
savers and loaders, SWMR helpers and the file checker.

Imports nothing of :mod:`h5layout.schema` or :mod:`h5layout.compiler`.
"""
