"""Convert reports to PDF with LibreOffice, and picture a PDF's first page with poppler.

A :class:`Converter` keeps one headless ``soffice`` running, with a profile of its
own, so a batch pays LibreOffice's start once per worker rather than once per report.
LibreOffice is driven over UNO by ``unobridge.py``, run with the Python that has
LibreOffice's ``uno`` module (Debian's ``python3-uno`` belongs to the system Python,
not to a virtual environment); this module speaks to it one JSON line at a time.
LibreOffice sees ``toolkit/publish/fonts/fonts.conf`` as its fontconfig file, which maps the
Windows fonts the report names to installed substitutes (see docs/layout.md).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from toolkit.errors import PdfError

HERE = Path(__file__).resolve().parent
FONTS_CONF = HERE / "fonts" / "fonts.conf"
BRIDGE = HERE / "unobridge.py"
#: Seconds for one document, and for LibreOffice to start.
TIMEOUT, START_TIMEOUT = 120, 60

INSTALL_HINT = (
    "请安装 LibreOffice 及其 Python 接口（Debian/Ubuntu：以 root 运行 scripts/install-system-packages，"
    "或 apt-get install libreoffice-writer-nogui python3-uno poppler-utils）"
)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment for LibreOffice's Python: no virtual environment's paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(extra)
    return env


@lru_cache(maxsize=1)
def _uno_python() -> str | None:
    """A Python interpreter that can ``import uno``: the system's, or LibreOffice's own."""
    candidates = [os.environ.get("ZONGJIE_UNO_PYTHON", ""), "/usr/bin/python3"]
    soffice = _soffice()
    if soffice:
        candidates.append(str(Path(os.path.realpath(soffice)).parent / "python"))
    for python in filter(None, candidates):
        if not os.access(python, os.X_OK):
            continue
        try:
            probe = subprocess.run(
                [python, "-c", "import uno"], env=_clean_env(), capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return python
    return None


def unavailable_reason() -> str | None:
    """Why PDF conversion cannot run on this machine (a Chinese message), or None when it can."""
    if _soffice() is None:
        return f"未找到 LibreOffice（soffice），无法生成PDF。{INSTALL_HINT}。"
    if _uno_python() is None:
        return f"找到了 LibreOffice，但没有可导入 uno 模块的 Python（python3-uno），无法生成PDF。{INSTALL_HINT}。"
    return None


def available() -> bool:
    """Whether this machine can convert reports to PDF."""
    return unavailable_reason() is None


def require() -> None:
    """Raise :class:`PdfError` with a clear message when PDF conversion cannot run here."""
    reason = unavailable_reason()
    if reason:
        raise PdfError(reason)


class Converter:
    """One long-lived headless LibreOffice converting .docx files to PDF.

    Use it as a context manager; LibreOffice starts on the first conversion. A
    conversion that fails raises :class:`PdfError` and leaves the converter usable;
    one that times out kills LibreOffice, which restarts on the next conversion.
    """

    def __init__(self, *, timeout: float = TIMEOUT, start_timeout: float = START_TIMEOUT):
        self.timeout, self.start_timeout = timeout, start_timeout
        self._bridge: subprocess.Popen[bytes] | None = None
        self._profile: Path | None = None
        self.starts = 0  # how many times LibreOffice was started (for benchmarks and tests)

    def __enter__(self) -> Converter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The process id of LibreOffice's helper while it runs."""
        bridge = self._bridge
        return bridge.pid if bridge is not None and bridge.poll() is None else None

    @property
    def running(self) -> bool:
        return self._bridge is not None and self._bridge.poll() is None

    def start(self) -> None:
        """Start LibreOffice and wait until it accepts documents."""
        if self.running:
            return
        self.close()
        python, soffice = _uno_python(), _soffice()
        if python is None or soffice is None:
            raise PdfError(unavailable_reason() or INSTALL_HINT)
        self._profile = Path(tempfile.mkdtemp(prefix="zongjie-office-"))
        pipe = f"zongjie-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._bridge = subprocess.Popen(
            [
                python,
                str(BRIDGE),
                soffice,
                str(self._profile),
                pipe,
                str(self.start_timeout),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            env=_clean_env(FONTCONFIG_FILE=str(FONTS_CONF)),
            start_new_session=True,  # its own process group: a timeout kills soffice's helpers too
        )
        self.starts += 1
        reply = self._reply(self.start_timeout + 10)
        if reply is None or not reply.get("ok"):
            detail = "启动超时" if reply is None else reply.get("error", "")
            self._kill()
            raise PdfError(f"LibreOffice 无法启动（{detail}）。{INSTALL_HINT}。")

    def convert(self, docx: Path, pdf: Path, timeout: float | None = None) -> Path:
        """Convert ``docx`` to ``pdf`` (written whole or not at all); return ``pdf``."""
        docx, pdf = Path(docx).resolve(), Path(pdf).resolve()
        if not docx.is_file():
            raise PdfError(f"找不到要转换的文件“{docx}”。", document=docx.name)
        self.start()
        pdf.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{pdf.name}.", suffix=".tmp", dir=pdf.parent)
        os.close(fd)
        try:
            self._send({"docx": str(docx), "pdf": tmp})
            reply = self._reply(timeout or self.timeout)
            if reply is None:
                self._kill()
                raise PdfError(
                    f"转换超时（超过{timeout or self.timeout:g}秒），LibreOffice 已重启。", document=docx.name
                )
            if not reply.get("ok"):
                raise PdfError(f"LibreOffice 转换失败（{reply.get('error', '')}）。", document=docx.name)
            if os.path.getsize(tmp) == 0:
                raise PdfError("LibreOffice 没有写出任何内容。", document=docx.name)
            os.chmod(tmp, 0o644)
            os.replace(tmp, pdf)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return pdf

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        bridge = self._bridge
        if bridge is None or bridge.stdin is None or bridge.stdout is None:
            raise PdfError("LibreOffice 未在运行。")
        return bridge.stdin, bridge.stdout

    def _send(self, request: dict[str, str]) -> None:
        stdin, _ = self._pipes()
        try:
            stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
        except (BrokenPipeError, OSError):
            self._kill()
            raise PdfError("LibreOffice 意外退出，已重启。") from None

    def _reply(self, timeout: float) -> dict[str, Any] | None:
        """The bridge's next answer; None after ``timeout`` seconds or when it died."""
        _, out = self._pipes()
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                return None
            chunk = out.read(1)
            if not chunk:
                return None
            line += chunk
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _kill(self) -> None:
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(bridge.pid, signal.SIGKILL)
            bridge.wait()
            for stream in (bridge.stdin, bridge.stdout):
                if stream is not None:
                    stream.close()

    def close(self) -> None:
        """Shut LibreOffice down and remove its profile."""
        bridge = self._bridge
        if bridge is not None:
            try:
                if bridge.stdin is not None:
                    bridge.stdin.close()  # the bridge asks LibreOffice to quit, then exits
                bridge.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._kill()
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


_SHARED: Converter | None = None


def shared() -> Converter:
    """This process's converter, started on first use and closed when the process exits.

    A batch worker's kernel runs one notebook after another; its converter outlives
    each notebook's namespace, so LibreOffice starts once per worker.
    """
    global _SHARED
    if _SHARED is None:
        _SHARED = Converter()
        atexit.register(_SHARED.close)
    return _SHARED


def write_beside(docx: Path, converter: Converter | None = None) -> Path:
    """Write the PDF of ``docx`` beside it (same name, ``.pdf``) and return its path.

    The one way a PDF is made, for a report and the 汇总表 alike, from the command line, a
    notebook or a batch: through ``converter`` when the caller holds one, else through this
    process's shared converter (LibreOffice started once, closed when the process exits).
    """
    docx = Path(docx)
    return (converter or shared()).convert(docx, docx.with_suffix(".pdf"))


def convert(docx: Path, pdf: Path, timeout: float = TIMEOUT) -> Path:
    """Convert one document, starting and stopping LibreOffice for it."""
    with Converter(timeout=timeout) as converter:
        return converter.convert(docx, pdf)


def first_page_png(pdf: Path, png: Path, *, dpi: int = 80, timeout: float = 60) -> Path:
    """Write the first page of ``pdf`` as a PNG picture (``pdftoppm``); return ``png``."""
    pdftoppm = shutil.which("pdftoppm")
    pdf, png = Path(pdf), Path(png)
    if pdftoppm is None:
        raise PdfError("未找到 pdftoppm，无法生成首页图片。请安装 poppler-utils。", document=pdf.name)
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=png.parent, prefix=".page-") as tmp:
        stem = Path(tmp) / "page"
        try:
            done = subprocess.run(
                [pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"生成首页图片超时（超过{timeout:g}秒）。", document=pdf.name) from None
        made = stem.with_suffix(".png")
        if done.returncode != 0 or not made.is_file():
            message = done.stderr.decode(errors="replace").strip()
            raise PdfError(f"无法生成首页图片（{message}）。", document=pdf.name)
        os.replace(made, png)
    return png
