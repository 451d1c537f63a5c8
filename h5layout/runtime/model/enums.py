"""The PyMoDAQ enums, with pymodaq_data's names and values.

Members compare equal to their own *name* as a string (``DataDim.Data1D == 'Data1D'``),
which is how values stored in files are compared with enums.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeAlias, TypeVar

E = TypeVar("E", bound="BaseEnum")


class BaseEnum(Enum):
    """Enum whose members also equal their name."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.name == other
        return Enum.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(self.name)

    @classmethod
    def names(cls) -> list[str]:
        """Member names, in definition order."""
        return [m.name for m in cls]

    @classmethod
    def values(cls) -> list[int | str]:
        """Member values, in definition order."""
        return [m.value for m in cls]

    @classmethod
    def parse(cls: type[E], value: object) -> E:
        """Member from a member, its name, or its value (``ValueError`` otherwise).

        Also accepts enum members of another class with a matching name, such as
        pymodaq_data's own enums.
        """
        if isinstance(value, cls):
            return value
        name = getattr(value, "name", value)
        if isinstance(name, str):
            if name in cls.__members__:
                return cls.__members__[name]
            for member in cls:
                if member.value == name:
                    return member
        else:
            for member in cls:
                if member.value == value:
                    return member
        raise ValueError(f"{value!r} is not a {cls.__name__} (expected one of {cls.names()})")


class SaveType(BaseEnum):
    """What a file was saved for (raw group ``type``)."""

    scan = 0
    detector = 1
    logger = 2
    custom = 3
    actuator = 4
    optimizer = 5


class GroupType(BaseEnum):
    """Group ``type`` values and incremental-group name words."""

    detector = 0
    actuator = 1
    data = 2
    ch = 3
    scan = 4
    external_h5 = 5
    data_dim = 6
    data_logger = 7


class DataType(BaseEnum):
    """Array ``data_type`` (the name) and array name prefixes (the value)."""

    data = "Data"
    axis = "Axis"
    live_scan = "Live"
    external_h5 = "ExtData"
    strings = "Strings"
    bkg = "Bkg"
    data_enlargeable = "EnlData"
    error = "ErrorBar"


class FileType(BaseEnum):
    """Kinds of files (kept for API compatibility; not stored)."""

    detector = 0
    actuator = 1
    axis = 2
    scan = 3


class DataDim(BaseEnum):
    """Signal dimensionality (``data_dimension`` attribute, dimension group names)."""

    Data0D = 0
    Data1D = 1
    Data2D = 2
    DataND = 3

    @property
    def dim_index(self) -> int:
        """0, 1, 2 or 3."""
        return int(self.value)

    @classmethod
    def from_ndim(cls, ndim: int) -> DataDim:
        """The DataDim of an array with ``ndim`` signal dimensions."""
        return cls.DataND if ndim > 2 else list(cls)[max(ndim, 0)]


class DataSource(BaseEnum):
    """Whether data are raw or calculated (``source`` attribute)."""

    raw = 0
    calculated = 1


class DataDistribution(BaseEnum):
    """Uniform (grid) or spread (scattered points) data (``distribution`` attribute)."""

    uniform = 0
    spread = 1


class DwaType(BaseEnum):
    """Kinds of DataWithAxes (not stored)."""

    DataWithAxes = 0
    DataRaw = 1
    DataActuator = 2
    DataFromPlugins = 3
    DataCalculated = 4


#: What a parameter naming a member accepts: the member, its name, or a member of another
#: enum with that name (pymodaq_data's own enums); :meth:`BaseEnum.parse` reads all three.
SaveTypeLike: TypeAlias = "SaveType | Enum | str"
GroupTypeLike: TypeAlias = "GroupType | Enum | str"
DataTypeLike: TypeAlias = "DataType | Enum | str"
DataDimLike: TypeAlias = "DataDim | Enum | str"
DataDistributionLike: TypeAlias = "DataDistribution | Enum | str"

#: Dtype names a layout may allow for arrays (numpy names).
DTYPE_NAMES: tuple[str, ...] = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
