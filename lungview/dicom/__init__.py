"""The DICOM series engine: scan folders into sorted series, decode slices to HU in the background.

No Qt here. ``scan_paths`` reads headers only; ``read_slice`` decodes one slice; ``SliceStore`` caches decoded
slices of one series within a memory budget; ``read_header`` lists a slice's tags for display.
"""

import logging
import warnings

from lungview.dicom.errors import DecodeError
from lungview.dicom.pixels import read_slice
from lungview.dicom.scan import scan_paths
from lungview.dicom.store import SliceStore
from lungview.dicom.tags import read_header

# pydicom warns about every non-conformant file it reads; the engine reports what matters itself, as plain
# sentences. Its messages can quote tag values (patient names among them), so they are never logged either.
warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\.|$)")
logging.getLogger("pydicom").setLevel(logging.CRITICAL)

__all__ = ["DecodeError", "SliceStore", "read_header", "read_slice", "scan_paths"]
