"""Text drawn over the slice: the four corner blocks and the patient-direction letters on the image edges."""

from lungview.dicom.geometry import slice_normal
from lungview.volume import PatientIdentity, Series
from lungview.windowing import Window

#: LPS patient axes (DICOM PS3.3 C.7.6.2.1.1): letter for the positive and the negative direction.
_AXIS_LETTERS = (("L", "R"), ("P", "A"), ("H", "F"))


def direction_letters(vector: tuple[float, float, float]) -> str:
    """Patient direction of ``vector`` in LPS as letters, strongest first (``(1, 0, 0)`` -> ``"L"``).

    Oblique directions get two or three letters, as in DICOM PatientOrientation (PS3.3 C.7.6.1.1.1).
    """
    parts = [(abs(value), _AXIS_LETTERS[axis][0 if value > 0 else 1]) for axis, value in enumerate(vector)]
    return "".join(letter for size, letter in sorted(parts, reverse=True) if size > 0.25)


def edge_labels(series: Series) -> dict[str, str]:
    """Letters for the image edges from ImageOrientationPatient; empty for images without orientation."""
    if not series.orientation or len(series.orientation) != 6:
        return {}
    row_direction = tuple(series.orientation[:3])  # along a row: towards increasing column (the right edge)
    col_direction = tuple(series.orientation[3:])  # along a column: towards increasing row (the bottom edge)

    def opposite(vector: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(-value for value in vector)

    return {
        "right": direction_letters(row_direction),
        "left": direction_letters(opposite(row_direction)),
        "bottom": direction_letters(col_direction),
        "top": direction_letters(opposite(col_direction)),
    }


def plane_edge_labels(series: Series, plane: str) -> dict[str, str]:
    """Edge letters of an ``axial``, ``coronal`` or ``sagittal`` image (reformats: the slice normal on top)."""
    axial = edge_labels(series)
    if plane == "axial" or not axial:
        return axial
    normal = tuple(float(value) for value in slice_normal(series.orientation))
    vertical = {"top": direction_letters(normal), "bottom": direction_letters(tuple(-value for value in normal))}
    if plane == "coronal":  # columns as in the axial image
        return {**vertical, "left": axial["left"], "right": axial["right"]}
    return {**vertical, "left": axial["top"], "right": axial["bottom"]}  # columns are the axial rows


def reformat_lines(plane: str, position: int, count: int, step_mm: float, resampled: bool) -> list[str]:
    """Plane name and position of a coronal or sagittal image, and its step along the slice normal."""
    return [
        f"{plane.capitalize()} {position + 1}/{count}",
        f"Reformat step {step_mm:.2f} mm" + (" (resampled)" if resampled else ""),
    ]


def volume_legend(spacing: tuple[float, float, float], slices: int, resampled: bool) -> str:
    """The 2×2 layout's fourth cell: the voxel size of the reformat and how to use the three views."""
    step, row, col = spacing
    return "\n".join([
        f"{slices} slices · voxel {col:.2f} × {row:.2f} × {step:.2f} mm" + (" (resampled)" if resampled else ""),
        "Click or drag in any view: the planes cross there",
        "Wheel: move that plane · B: AI finding boxes",
        "F2 one view · F3 1×3 · F4 2×2 · Shift+A/C/S one plane",
    ])


def identity_lines(patient: PatientIdentity, hidden: bool) -> list[str]:
    """Patient name, ID and birth date, or a placeholder when the identifiers are hidden."""
    if hidden:
        return ["identifiers hidden"]
    name = patient.name.replace("^", " ").strip()
    lines = [name or "(no name)", f"ID {patient.patient_id or '-'}"]
    if patient.birth_date:
        birth = patient.birth_date
        if len(birth) == 8 and birth.isdigit():
            birth = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
        lines.append(f"born {birth}")
    return lines


def series_lines(series: Series) -> list[str]:
    """Modality and description of the series."""
    return [f"{series.modality or '?'}  {series.description or '(no description)'}".strip()]


def slice_lines(series: Series, index: int) -> list[str]:
    """Slice number, z position and thickness of slice ``index``."""
    slice_ref = series.slices[index]
    lines = [f"Slice {index + 1}/{len(series)}"]
    if series.has_hu:
        lines.append(f"z {slice_ref.z:.1f} mm")
    if slice_ref.slice_thickness:
        lines.append(f"Thickness {slice_ref.slice_thickness:g} mm")
    return lines


def view_lines(window: Window, zoom_percent: float, has_hu: bool) -> list[str]:
    """Window/level and zoom."""
    unit = "" if has_hu else " (grey)"
    return [f"W {window.width:.0f}  L {window.center:.0f}{unit}", f"Zoom {zoom_percent:.0f}%"]
