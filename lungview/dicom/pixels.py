"""Decode one slice to float32: Hounsfield units through the modality LUT, or grey 0..255 without HU."""

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

from lungview.dicom.errors import DecodeError, describe_decode_failure
from lungview.dicom.headers import UnusableFile, frame_rescale, read_dataset
from lungview.dicom.plain_images import is_plain_image, read_plain_image
from lungview.volume import Series

#: Functional groups that hold an enhanced multi-frame object's per-frame rescale (PS3.3 C.7.6.16.2.9).
_FUNCTIONAL_GROUP_TAGS = [0x52009229, 0x52009230]
#: PixelPaddingValue and PixelPaddingRangeLimit (PS3.3 C.7.5.1.1.2).
_PADDING_TAGS = [0x00280120, 0x00280121]
#: The HU given to padding pixels (outside the scanned field of view): air.
PADDING_HU = -1024.0
#: ITU-R BT.601 luma weights, as PIL's "L" conversion uses for PNG/JPG.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def read_slice(series: Series, index: int, out: np.ndarray | None = None) -> np.ndarray:
    """Decode slice ``index`` of ``series`` to a float32 (rows, columns) array.

    Hounsfield units where ``series.has_hu`` (equal to pydicom's ``apply_modality_lut``, DICOM PS3.3 C.11.1),
    otherwise grey levels 0..255 (colour converted to luma, MONOCHROME1 inverted). With ``out`` (float32,
    (rows, columns)) the slice is written there and ``out`` is returned, which saves allocating fresh memory.

    Raises
    ------
    DecodeError
        With a plain reason when the pixels cannot be decoded.
    """
    ref = series.slices[index]
    if is_plain_image(ref.path) and not ref.sop_instance_uid:
        image = _checked_shape(read_plain_image(ref.path), series)
    else:
        stored, ds = _decode_dicom(ref.path, ref.frame)
        _checked_shape(stored, series)
        try:
            if series.has_hu:
                padding = padding_mask(stored, ds)
                image = stored_to_hu(stored, frame_rescale(ds, ref.frame), out)
                if padding is not None:
                    image[padding] = PADDING_HU
            else:
                image = stored_to_grey(stored, ds)
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
            # A header changed or damaged since the scan: its value mapping no longer makes sense.
            raise DecodeError(f"the pixel values cannot be converted: the header is damaged ({error})") from None
    if out is None or image is out:
        return image
    out[...] = image
    return out


def padding_mask(stored: np.ndarray, ds: Dataset) -> np.ndarray | None:
    """Where ``stored`` holds the padding value (or lies in the padding range), or None without padding.

    Padding marks pixels that are not part of the image, such as the corners outside a CT's circular field of
    view (DICOM PS3.3 C.7.5.1.1.2); rescaled as they are they would read as an impossible HU (e.g. -3024).
    """
    value = ds.get("PixelPaddingValue")
    if value is None or stored.ndim != 2:
        return None
    try:
        value = int(
            value
            if not isinstance(value, bytes)
            else int.from_bytes(value[:2], "little", signed=bool(ds.get("PixelRepresentation")))
        )
        limit = ds.get("PixelPaddingRangeLimit")
        if isinstance(limit, bytes):
            limit = int.from_bytes(limit[:2], "little", signed=bool(ds.get("PixelRepresentation")))
    except (TypeError, ValueError):
        return None
    if limit is None:
        mask = stored == value
    else:
        low, high = sorted((value, int(limit)))
        mask = (stored >= low) & (stored <= high)
    return mask if mask.any() else None


def _checked_shape(image: np.ndarray, series: Series) -> np.ndarray:
    """``image`` itself, after checking it has the size of the series' slices."""
    if image.shape[:2] != (series.rows, series.columns):
        raise DecodeError(
            f"the image is {image.shape[0]}×{image.shape[1]} pixels, "
            f"not {series.rows}×{series.columns} as its header says"
        )
    return image


def _decode_dicom(path: str, frame: int | None) -> tuple[np.ndarray, Dataset]:
    """Stored pixel values of one frame and the dataset describing them (image pixel module, file meta)."""
    ds = Dataset()
    try:
        try:
            # Reads only the image pixel module and the one frame: faster than dcmread + pixel_array.
            stored = pixel_array(path, ds_out=ds, index=frame, specific_tags=_FUNCTIONAL_GROUP_TAGS + _PADDING_TAGS)
        except (FileNotFoundError, PermissionError):
            raise
        except Exception:
            # Files without a preamble or transfer syntax need the lenient full read.
            ds = read_dataset(path)
            stored = pixel_array(ds, index=frame)
        if str(ds.get("PhotometricInterpretation", "")) == "PALETTE COLOR":
            stored = apply_color_lut(stored, ds)
    except UnusableFile as unusable:
        raise DecodeError(unusable.reason) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: BLE001 - broken data raises many types; Rust plugins raise a panic
        transfer_syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
        raise DecodeError(describe_decode_failure(error, transfer_syntax)) from None
    return stored, ds


def stored_to_hu(stored: np.ndarray, rescale: Dataset, out: np.ndarray | None = None) -> np.ndarray:
    """Hounsfield units (float32) of stored values through the Modality LUT (DICOM PS3.3 C.11.1).

    Equals ``pydicom.pixels.apply_modality_lut(stored, rescale)`` cast to float32; the common case of slope 1 and
    an integer intercept is computed in float32 directly (into ``out`` when given), which is exact for stored
    values below 2**24.
    """
    slope = rescale.get("RescaleSlope")
    intercept = rescale.get("RescaleIntercept")
    is_plain_offset = (
        not rescale.get("ModalityLUTSequence")
        and slope is not None
        and intercept is not None
        and float(slope) == 1.0
        and float(intercept).is_integer()
        and stored.dtype.itemsize <= 2
    )
    if is_plain_offset:
        hu = stored.astype(np.float32) if out is None else out
        if out is not None:
            np.copyto(out, stored)
        hu += np.float32(intercept)
        return hu
    return np.asarray(apply_modality_lut(stored, rescale), dtype=np.float32)


def stored_to_grey(stored: np.ndarray, ds: Dataset) -> np.ndarray:
    """Grey levels 0..255 (float32) for images without HU: colour to luma, else the value range stretched."""
    if stored.ndim == 3:
        maximum = float(2 ** int(ds.get("BitsStored", 8) or 8) - 1)
        return (stored.astype(np.float32) @ _LUMA) * np.float32(255.0 / maximum)
    values = np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)  # float pixel data may hold NaN or inf
    if str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1":
        values = values.max() - values
    low, high = float(values.min()), float(values.max())
    is_byte_image = int(ds.get("BitsStored", 16) or 16) <= 8 and low >= 0 and high <= 255
    if not is_byte_image:
        values = (values - low) * (255.0 / (high - low) if high > low else 0.0)
    return values.astype(np.float32)
