"""Plain PNG/JPG slices (as in the 2-D training sets): one "series" per folder, grey 0..255, no HU."""

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from lungview.dicom.errors import DecodeError
from lungview.volume import Series, SliceRef

PLAIN_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg"})


def is_plain_image(path: str | Path) -> bool:
    """True for a file whose name says PNG or JPEG."""
    return Path(path).suffix.lower() in PLAIN_IMAGE_SUFFIXES


def read_plain_size(path: str | Path) -> tuple[int, int]:
    """(rows, columns) of a PNG/JPG from its header, without decoding the pixels.

    Raises
    ------
    ValueError
        With a plain reason when the file is not a readable picture.
    """
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        # Pillow only warns between its limit and twice it, then decodes gigabytes: refuse all alike, and say why.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                columns, rows = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValueError(f"the picture is too large (over {Image.MAX_IMAGE_PIXELS:,} pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"not a readable PNG/JPG picture ({type(error).__name__})") from None
    return rows, columns


def plain_series(sized_paths: list[tuple[Path, tuple[int, int]]]) -> list[Series]:
    """One series per folder and picture size, slices in natural file-name order (pictures have no geometry)."""
    groups: dict[tuple[Path, tuple[int, int]], list[Path]] = defaultdict(list)
    for path, size in sized_paths:
        groups[(path.parent, size)].append(path)
    series = []
    for (folder, (rows, columns)), paths in sorted(groups.items(), key=lambda item: str(item[0][0])):
        paths.sort(key=lambda p: _natural_key(p.name))
        slices = tuple(
            SliceRef(
                path=str(p),
                sop_instance_uid="",
                instance_number=None,
                z=float(i),
                pixel_spacing=None,
                slice_thickness=None,
            )
            for i, p in enumerate(paths)
        )
        description = folder.name or str(folder)
        warnings = ()
        if sum(1 for other, _ in groups if other == folder) > 1:
            description += f" ({rows}×{columns})"
            warnings = ("This folder mixes picture sizes: the pictures of each size form their own series.",)
        series.append(
            Series(
                series_uid="",
                study_uid="",
                modality="OT",
                description=description,
                rows=rows,
                columns=columns,
                spacing=None,
                orientation=None,
                slices=slices,
                has_hu=False,
                warnings=warnings,
            )
        )
    return series


def read_plain_image(path: str | Path) -> np.ndarray:
    """Decode a PNG/JPG to float32 grey 0..255 (colour through ITU-R 601 luma, 16-bit scaled down)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(image, dtype=np.float32) * np.float32(255 / 65535)
            if image.mode in ("I", "F"):
                values = np.asarray(image, dtype=np.float32)
                return values * np.float32(255 / max(float(values.max()), 1.0))
            return np.asarray(image.convert("L"), dtype=np.float32)
    except FileNotFoundError:
        raise DecodeError("the file is no longer there") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise DecodeError(f"the picture is truncated or corrupt ({error})") from None


def _natural_key(name: str) -> list:
    """``2.png`` before ``10.png``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", name)]
