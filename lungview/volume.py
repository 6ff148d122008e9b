"""What a scanned series is: immutable descriptions shared by the engine, the models and the GUI.

No pixel data lives here; :mod:`lungview.dicom` decodes pixels on demand.
"""

from dataclasses import dataclass, field

from lungview.windowing import Window


@dataclass(frozen=True)
class SliceRef:
    """Identity and geometry of one displayable slice: a file, or one frame of a multi-frame file."""

    path: str
    sop_instance_uid: str
    instance_number: int | None
    z: float
    """Position along the stack normal in mm (the projection of ImagePositionPatient); index for plain images."""
    pixel_spacing: tuple[float, float] | None
    """(row, column) spacing in mm, None where unknown."""
    slice_thickness: float | None
    frame: int | None = None
    """Frame index inside a multi-frame file; None for a single-frame file."""
    position: tuple[float, float, float] | None = None
    """ImagePositionPatient (mm): the centre of the first pixel; None where unknown."""


@dataclass(frozen=True)
class PatientIdentity:
    """Identifiers shown in the overlay and hidden on request. Never logged."""

    name: str = ""
    patient_id: str = ""
    birth_date: str = ""


@dataclass(frozen=True)
class Series:
    """One geometrically sorted stack of slices with a common size and orientation."""

    series_uid: str
    study_uid: str
    modality: str
    description: str
    rows: int
    columns: int
    spacing: tuple[float, float, float] | None
    """(z, y, x) in mm; z is the median step between slices. None where unknown."""
    orientation: tuple[float, ...] | None
    """ImageOrientationPatient (row and column direction cosines), None for plain images."""
    slices: tuple[SliceRef, ...]
    has_hu: bool
    """True when pixel values are Hounsfield units (CT through the modality LUT)."""
    warnings: tuple[str, ...] = ()
    patient: PatientIdentity = field(default_factory=PatientIdentity)
    stored_window: Window | None = None
    """The first window stored in the files (WindowCenter/WindowWidth), if any."""
    image_type: tuple[str, ...] = ()
    """ImageType values (e.g. ORIGINAL, PRIMARY, AXIAL; LOCALIZER for a scout)."""
    stack: int = 0
    """Which stack of its series UID this is, from 1, where one UID holds several stacks; 0 where it holds one."""

    def __len__(self) -> int:
        return len(self.slices)

    @property
    def key(self) -> str:
        """The series' identity: its UID, with ``#`` and the stack number where one UID holds several stacks."""
        return f"{self.series_uid}#{self.stack}" if self.stack else self.series_uid


@dataclass(frozen=True)
class SkippedFile:
    """A file that could not be used, with a reason a radiologist understands."""

    path: str
    reason: str


@dataclass(frozen=True)
class AnnotationObject:
    """A DICOM object that draws on the images of another series: a Segmentation (SEG), an RT Structure Set, or a
    Structured Report that outlines regions."""

    path: str
    kind: str
    """``"SEG"``, ``"RTSTRUCT"`` or ``"SR"``."""
    label: str
    """What the object calls itself (series description, content or structure set label)."""
    sop_instance_uid: str
    series_uid: str
    study_uid: str
    frame_of_reference_uid: str
    referenced_series_uids: tuple[str, ...]
    """The image series the object says it was drawn on."""


@dataclass(frozen=True)
class ScanResult:
    """Everything found under the paths a user opened."""

    series: tuple[Series, ...]
    skipped: tuple[SkippedFile, ...]
    annotations: tuple[AnnotationObject, ...] = ()
    """SEG, RTSTRUCT and SR-with-regions objects found (a SEG is also listed as a series, the others also as skipped:
    not an image)."""
