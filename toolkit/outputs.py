"""Where a run's outputs go, what every output file is called, and how files are written:
whole, never half of one, and files people share (corrections, narratives, sign-offs) one
writer at a time (:func:`update_locked`).

Every name a reader finds under ``--out`` is defined here and nowhere else::

    <out>/<year>/index.html, summary.csv, overview.ipynb, overview.html,
                 汇总表.docx, 汇总表.json, 汇总表.pdf, 问题清单.xlsx
    <out>/<year>/<bureau>/report.ipynb, report.html, result.json, 问题清单.xlsx,
                          report.docx, figures.json, report.pdf  (seed report)
                          <name>.docx, <name>.figures.json, <name>.pdf  (report <name>)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filelock

from toolkit.codes import check_code
from toolkit.errors import FileBusy, WriteFailed
from toolkit.resources import DEFAULT_REPORT

#: Set (to "1") in the environment of the kernels zongjie starts to execute notebooks
#: (``run``, ``batch``): nothing will ever show a widget there, since the saved notebook
#: keeps only their static summary (``export.for_reading``), so none is built.
HEADLESS = "ZONGJIE_HEADLESS"


# --- a year's folder -----------------------------------------------------------------------
INDEX = "index.html"
SUMMARY_CSV = "summary.csv"
OVERVIEW_NOTEBOOK = "overview.ipynb"
OVERVIEW_PAGE = "overview.html"
SUMMARY_TABLE_DOCX = "汇总表.docx"
SUMMARY_TABLE_JSON = "汇总表.json"
SUMMARY_TABLE_PDF = "汇总表.pdf"

# --- a bureau's folder (and, for codes without a parameter file, the year's) -----------------
NOTEBOOK = "report.ipynb"
READING_COPY = "report.html"
RESULT = "result.json"
PROBLEM_LIST = "问题清单.xlsx"


@dataclass(frozen=True)
class ReportFiles:
    """The names of one report's document files in a bureau's folder."""

    docx: str
    figures: str
    pdf: str


def report_files(report: str = DEFAULT_REPORT) -> ReportFiles:
    """``report.docx``/``figures.json``/``report.pdf`` for the seed report, ``<name>.docx``,
    ``<name>.figures.json`` and ``<name>.pdf`` for another."""
    if report == DEFAULT_REPORT:
        return ReportFiles("report.docx", "figures.json", "report.pdf")
    return ReportFiles(f"{report}.docx", f"{report}.figures.json", f"{report}.pdf")


def previous_figures(json_name: str) -> str:
    """The hidden copy of a bureau's last figures JSON, kept aside when a new run clears the folder."""
    return f".previous.{json_name}"


def previous_path(folder: Path, json_name: str = "figures.json") -> Path:
    """Where :func:`keep_previous` puts a bureau's last figures JSON."""
    return Path(folder) / previous_figures(json_name)


def keep_previous(folder: Path, json_name: str = "figures.json") -> None:
    """Before a run clears ``folder``: keep the last run's figures aside (a hidden file) for the comparison."""
    current = Path(folder) / json_name
    if current.is_file():
        current.replace(previous_path(folder, json_name))


def report_dir(out: Path, year: int, bureau: str) -> Path:
    """``<out>/<year>/<bureau>``; the bureau code is checked first, so it cannot lead elsewhere."""
    return Path(out) / str(year) / check_code(bureau)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    A failure (a full disk, no permission) leaves no temporary file behind and raises
    :class:`WriteFailed`, whose message names ``path``. ``durable``: on disk before the
    rename (~1 ms); a working copy that every batch writes anew (a bureau's rows for its
    notebook) need not be, and a province's thousand of them are written before any
    notebook starts.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is an ordinary file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteFailed):
            raise WriteFailed(path, exc) from exc
        raise


#: How long a writer waits for another one writing the same shared file, in seconds.
LOCK_TIMEOUT = 30.0


def lock_path(path: Path) -> Path:
    """The lock of a shared file: a hidden ``.<name>.lock`` beside it."""
    path = Path(path)
    return path.parent / f".{path.name}.lock"


@contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` (threads and processes alike); raise :class:`FileBusy` after ``timeout`` seconds."""
    path = Path(path)
    wait = LOCK_TIMEOUT if timeout is None else timeout
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path(path)), timeout=wait)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise FileBusy(path, wait) from None
    try:
        yield
    finally:
        lock.release()


def update_locked(path: Path, change: Callable[[bytes | None], bytes | None], timeout: float | None = None) -> None:
    """Lock ``path``, reread it, change it and write it whole: no writer loses another's change.

    ``change`` gets the file's bytes as they are now (None when there is no file) and gives
    the new bytes, or None to remove the file; it raises to refuse, and then nothing is
    written. Unchanged bytes are not written again. Every writer of a file that several
    people (or processes) change at once goes through here, changing only its own part.
    """
    path = Path(path)
    with locked(path, timeout):
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            old = None
        new = change(old)
        if new is None:
            path.unlink(missing_ok=True)
        elif new != old:
            atomic_write(path, new)


def remove_leftovers(folder: Path) -> None:
    """Remove the temporary files (``.<name>.<random>.tmp``) of writes a killed run left unfinished."""
    for path in Path(folder).glob(".*.tmp"):
        if path.is_file():
            path.unlink(missing_ok=True)
