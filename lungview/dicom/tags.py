"""The header of one slice as rows of text for the DICOM tag dialog (no pixel data read)."""

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from lungview.dicom.headers import UnusableFile, read_dataset
from lungview.dicom.plain_images import is_plain_image, read_plain_size
from lungview.volume import SliceRef

_MAX_VALUE_CHARS = 200


def read_header(slice_ref: SliceRef) -> list[tuple[str, str, str]]:
    """Rows ``(tag, name, value)`` of the file meta and data set, e.g. ``("(0008,0060)", "Modality", "CT")``.

    Sequences are summarised by their item count, binary values by their size. A PNG/JPG gives its size only;
    an unreadable file gives one row saying why.
    """
    if is_plain_image(slice_ref.path) and not slice_ref.sop_instance_uid:
        try:
            rows, columns = read_plain_size(slice_ref.path)
        except ValueError as error:
            return [("", "File", str(error))]
        return [
            ("", "Picture size", f"{columns} × {rows} pixels"),
            ("", "Hounsfield units", "none (PNG/JPG picture)"),
        ]
    try:
        ds = read_dataset(slice_ref.path, stop_before_pixels=True)
    except UnusableFile as unusable:
        return [("", "File", unusable.reason)]
    except Exception as error:  # a header the tag dialog cannot parse must not crash the viewer
        return [("", "File", f"the header cannot be read ({type(error).__name__})")]
    return [_row(element) for element in _elements(ds.file_meta)] + [_row(element) for element in _elements(ds)]


def _elements(ds: Dataset) -> list[DataElement]:
    rows = []
    for tag in ds.keys():
        try:
            rows.append(ds[tag])
        except Exception:  # one malformed value hides that element only
            continue
    return rows


def _row(element: DataElement) -> tuple[str, str, str]:
    tag = f"({element.tag.group:04X},{element.tag.element:04X})"
    return tag, element.name, _value_text(element)


def _value_text(element: DataElement) -> str:
    value = element.value
    if element.VR == "SQ":
        return f"sequence of {len(value)} item(s)"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes of binary data"
    text = str(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"
