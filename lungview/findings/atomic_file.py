"""Write a file whole or not at all: an export that fails half-way (a full disk, a lost share) leaves the file
that was there before as it was, and no partial file beside it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def written_atomically(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block ends without an error.

    On an error (``OSError`` such as ``ENOSPC``, or any other) the temporary file is removed, ``path`` is left as
    it was, and the error goes on to the caller.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
