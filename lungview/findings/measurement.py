"""A measurement kept with a finding: a ruler or ROI, the plane and slice it was drawn on, and its values."""

from dataclasses import asdict, dataclass, field

from lungview.planes import PLANES
from lungview.planes.measure import Shape, summary_text


@dataclass(frozen=True)
class Measurement:
    """A ruler length or ROI statistics, with where it was drawn (enough to draw it again)."""

    kind: str
    """``ruler``, ``rectangle``, ``ellipse`` or ``polygon`` (freehand)."""
    plane: str
    """``axial``, ``coronal`` or ``sagittal``."""
    slice_index: int
    """The axial slice (from 0) on screen when it was drawn: for an axial measurement, the slice it lies on."""
    position: int | None
    """For a coronal (sagittal) measurement, the axial row (column) its plane goes through; None for axial."""
    points: tuple[tuple[float, float], ...]
    """(row, col) in the plane image's continuous coordinates."""
    values: dict = field(default_factory=dict)
    """What :func:`~lungview.planes.measure.shape_summary` gives: ``length``, or ``mean``, ``sd``, ``min``, ``max``
    and ``area``."""

    def __post_init__(self) -> None:
        Shape(self.kind, self.points)  # validates the kind
        if self.plane not in PLANES:
            raise ValueError(f"a measurement's plane is one of {', '.join(PLANES)}, not {self.plane!r}")

    def summary(self) -> str:
        """One line: where and what (``"ellipse, axial slice 12: mean -812 HU, … · 154.2 mm²"``)."""
        where = f"{self.plane} slice {self.slice_index + 1}"
        if self.position is not None:
            where = f"{self.plane} {'row' if self.plane == 'coronal' else 'column'} {self.position + 1}"
        return f"{self.kind}, {where}: {summary_text(self.kind, self.values)}"

    def as_dict(self) -> dict:
        """Plain JSON-ready values."""
        return {**asdict(self), "points": [list(point) for point in self.points]}

    @classmethod
    def from_dict(cls, values: dict) -> "Measurement":
        """The measurement :meth:`as_dict` wrote."""
        points = tuple((float(row), float(col)) for row, col in values["points"])
        return cls(values["kind"], values["plane"], int(values["slice_index"]), values.get("position"), points,
                   dict(values.get("values", {})))
