"""Where a run's outputs go and how they are written: whole files, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from toolkit.codes import check_code
from toolkit.errors import WriteFailed

#: Mimetype of the record a notebook run displays for the batch summary.
RESULT_MIME = "application/vnd.zongjie.result+json"

#: Set (to "1") in the environment of the kernels zongjie starts to execute notebooks
#: (``run``, ``batch``): nothing will ever show a widget there, since the saved notebook
#: keeps only their static summary (``export.for_reading``), so none is built.
HEADLESS = "ZONGJIE_HEADLESS"


def report_dir(out: Path, year: int, bureau: str) -> Path:
    """``<out>/<year>/<bureau>``; the bureau code is checked first, so it cannot lead elsewhere."""
    return Path(out) / str(year) / check_code(bureau)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    A failure (a full disk, no permission) leaves no temporary file behind and raises
    :class:`WriteFailed`, whose message names ``path``.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is an ordinary file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteFailed):
            raise WriteFailed(path, exc) from exc
        raise


def remove_leftovers(folder: Path) -> None:
    """Remove the temporary files (``.<name>.<random>.tmp``) of writes a killed run left unfinished."""
    for path in Path(folder).glob(".*.tmp"):
        if path.is_file():
            path.unlink(missing_ok=True)
