"""Why a file or a slice cannot be used, in sentences a radiologist understands."""

from pydicom.uid import UID

#: Python packages that give pydicom a decoder, by the transfer syntaxes they decode.
_DECODER_PACKAGES: dict[str, str] = {
    "1.2.840.10008.1.2.4.50": "pylibjpeg and pylibjpeg-libjpeg",  # JPEG Baseline
    "1.2.840.10008.1.2.4.51": "pylibjpeg and pylibjpeg-libjpeg",  # JPEG Extended
    "1.2.840.10008.1.2.4.57": "pylibjpeg and pylibjpeg-libjpeg",  # JPEG Lossless
    "1.2.840.10008.1.2.4.70": "pylibjpeg and pylibjpeg-libjpeg",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80": "pylibjpeg and pylibjpeg-libjpeg",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pylibjpeg and pylibjpeg-libjpeg",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90": "pylibjpeg and pylibjpeg-openjpeg",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91": "pylibjpeg and pylibjpeg-openjpeg",  # JPEG 2000
    "1.2.840.10008.1.2.4.201": "pylibjpeg and pylibjpeg-openjpeg",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202": "pylibjpeg and pylibjpeg-openjpeg",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203": "pylibjpeg and pylibjpeg-openjpeg",  # HTJ2K
    "1.2.840.10008.1.2.5": "pylibjpeg and pylibjpeg-rle",  # RLE Lossless
}


class DecodeError(Exception):
    """A slice's pixels cannot be decoded; ``reason`` is a plain sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def transfer_syntax_name(uid: str) -> str:
    """Readable name of a transfer syntax ("JPEG-LS Lossless Image Compression"), or the UID itself."""
    name = UID(uid).name
    return name if name and name != uid else f"with UID {uid}"


def unsupported_transfer_syntax(uid: str) -> str | None:
    """The reason pixels in transfer syntax ``uid`` cannot be decoded here, or None when they can."""
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        name = transfer_syntax_name(uid)
        return f"transfer syntax {name} is not supported: no decoder for it exists in LungView"
    if decoder.is_available:
        return None
    packages = _DECODER_PACKAGES.get(str(uid), "a pydicom decoder plugin for it")
    return f"transfer syntax {transfer_syntax_name(uid)} is not supported: install {packages}"


def describe_decode_failure(error: BaseException, transfer_syntax: str | None) -> str:
    """Turn an exception raised while decoding pixels into a plain sentence."""
    message = str(error)
    if isinstance(error, FileNotFoundError):
        return "the file is no longer there"
    if isinstance(error, PermissionError):
        return "the file cannot be read (permission denied)"
    if "less than expected" in message or "truncated" in message.lower():
        return "the pixel data is truncated or corrupt"
    if "has no 'Pixel Data'" in message:
        return "the file has no pixel data (any more): it is truncated or was changed after the scan"
    if transfer_syntax:
        missing = unsupported_transfer_syntax(transfer_syntax)
        if missing:
            return missing
        if UID(transfer_syntax).is_compressed:
            name = transfer_syntax_name(transfer_syntax)
            return f"the compressed pixel data ({name}) is corrupt and cannot be decoded"
    first_line = message.strip().splitlines()[0][:160] if message.strip() else type(error).__name__
    return f"the pixel data cannot be decoded ({first_line})"
