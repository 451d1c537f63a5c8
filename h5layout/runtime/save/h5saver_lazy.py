"""The Qt :class:`H5Saver` a headless program can name without importing Qt.

Compiled modules subclass :class:`H5Saver` to bind their layout; Qt (``h5layout[gui]``) is
imported, and the real Qt class of :mod:`h5layout.runtime.save.h5saver_qt` built, when the
first instance is made.
"""

from __future__ import annotations

import sys
from typing import Any

from h5layout.runtime.errors import BackendError
from h5layout.runtime.save.h5saver import H5SaverBase


class _QtOnCall(type):
    """Metaclass of :class:`H5Saver`: Qt is imported at the first instantiation only.

    A compiled module subclasses ``H5Saver`` (binding its layout) without importing Qt;
    calling such a class builds, once, the matching subclass of the Qt implementation
    (:class:`h5layout.runtime.save.h5saver_qt.H5Saver`) with the layout and any methods the
    subclasses added, and returns an instance of it.
    """

    _real: dict[type, type] = {}

    def qt_class(cls) -> type:
        """The Qt class instances of ``cls`` are made of (imports Qt)."""
        real = _QtOnCall._real.get(cls)
        if real is None:
            try:
                # Qt is an optional dependency: imported when the first instance is made
                from h5layout.runtime.save.h5saver_qt import H5Saver as QtH5Saver
            except ImportError as exc:
                raise BackendError(
                    "H5Saver needs qtpy and a Qt binding (pip install 'h5layout[gui]'); "
                    f"H5SaverBase is the same saver without Qt: {exc}"
                ) from exc
            namespace: dict[str, object] = {}
            for klass in reversed(cls.__mro__):
                if isinstance(klass, _QtOnCall) and klass is not H5Saver:
                    namespace.update(
                        {
                            k: v
                            for k, v in vars(klass).items()
                            if k not in ("__dict__", "__weakref__")
                        }
                    )
            namespace.update(
                __module__=cls.__module__, __qualname__=cls.__qualname__, __lazy_origin__=cls
            )
            # the compiled module's H5SaverBase too: isinstance(saver, module.H5SaverBase)
            module_base = getattr(sys.modules.get(cls.__module__), "H5SaverBase", None)
            bases: tuple[type, ...] = (QtH5Saver,)
            if (
                isinstance(module_base, type)
                and issubclass(module_base, H5SaverBase)
                and not isinstance(module_base, _QtOnCall)
                and module_base is not H5SaverBase
            ):
                bases = (QtH5Saver, module_base)
            if cls is H5Saver:
                real = QtH5Saver
                real.__lazy_origin__ = H5Saver  # type: ignore[attr-defined]
            else:
                real = type(cls.__name__, bases, namespace)
            _QtOnCall._real[cls] = real
        return real

    # Any: the arguments go to the Qt class's typed constructor, and an Any return lets
    # type checkers type ``H5Saver(...)`` from the class's own ``__init__``
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.qt_class()(*args, **kwargs)

    def __instancecheck__(cls, obj: object) -> bool:
        origin = getattr(type(obj), "__lazy_origin__", None)
        if isinstance(origin, type) and issubclass(origin, cls):
            return True
        # the Qt class itself, made directly: an H5Saver too (looked up, never imported here)
        qt = sys.modules.get("h5layout.runtime.save.h5saver_qt")
        return cls is H5Saver and qt is not None and isinstance(obj, qt.H5Saver)


class H5Saver(H5SaverBase, metaclass=_QtOnCall):
    """:class:`H5SaverBase` with Qt signals (``status_sig``, ``new_file_sig``,
    ``file_changed_sig``), file dialogs and ``show_file_content``.

    Needs ``pip install 'h5layout[gui]'`` (qtpy and a Qt binding), imported when the first
    instance is made; see :mod:`h5layout.runtime.save.h5saver_qt`.
    """
