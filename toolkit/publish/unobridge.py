"""Drive one headless LibreOffice over UNO: convert documents to PDF on request.

Not part of the package's import graph: ``toolkit/pdf.py`` runs this file with the
Python that has LibreOffice's ``uno`` module (Debian's ``python3-uno`` belongs to the
system Python, not to a virtual environment). It starts ``soffice`` with a private
profile, then reads one JSON request a line on stdin, ``{"docx": …, "pdf": …}``,
and answers one JSON line on stdout, ``{"ok": true}`` or ``{"ok": false, "error": …}``.
When stdin closes (the parent finished, or died) it shuts LibreOffice down.

    python3 unobridge.py SOFFICE PROFILE_DIR PIPE_NAME START_TIMEOUT

The profile folder is removed when LibreOffice has quit, also when the parent died
without closing the converter; so is a PDF the parent asked for and died before taking.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uno  # type: ignore[import-not-found]  # first: it makes the com.sun.star modules importable
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]


def _props(**values: object) -> tuple[Any, ...]:
    """UNO's property values (``PropertyValue`` structs) from keyword arguments."""
    props = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        props.append(prop)
    return tuple(props)


def _say(**reply: object) -> None:
    sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _start(soffice: str, profile: str, pipe: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
            "--headless",
            "--invisible",
            "--nocrashreport",
            "--nodefault",
            "--nologo",
            "--nofirststartwizard",
            "--norestore",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _connect(pipe: str, office: subprocess.Popen[bytes], deadline: float) -> Any:
    """LibreOffice's desktop (a UNO object), once ``soffice`` accepts the connection."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except NoConnectException:
            if office.poll() is not None:
                raise RuntimeError(f"soffice exited with status {office.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError("soffice did not accept a connection in time") from None
            time.sleep(0.05)


def _convert(desktop: Any, docx: str, pdf: str) -> None:
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(docx), "_blank", 0, _props(Hidden=True, ReadOnly=True, UpdateDocMode=0)
    )
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        document.storeToURL(uno.systemPathToFileUrl(pdf), _props(FilterName="writer_pdf_Export"))
    finally:
        document.close(True)


def _stop(desktop: Any, office: subprocess.Popen[bytes]) -> None:
    """Ask LibreOffice to quit; kill it (and this process group) when it does not."""
    if desktop is not None:
        threading.Thread(target=lambda: _quietly(desktop.terminate), daemon=True).start()
    try:
        office.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if os.getpgid(0) == os.getpid():  # started in a session of its own: take soffice's helpers too
            os.killpg(os.getpid(), signal.SIGKILL)
        office.kill()


def _quietly(call: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # LibreOffice drops the bridge while it quits
        call()


def main(argv: list[str]) -> int:
    soffice, profile, pipe, start_timeout = argv[1], argv[2], argv[3], float(argv[4])
    office, written = _start(soffice, profile, pipe), ""
    desktop: Any = None
    try:
        desktop = _connect(pipe, office, time.monotonic() + start_timeout)
        _say(ok=True, ready=True)
        for line in sys.stdin:
            request = json.loads(line)
            written = request["pdf"]
            try:
                _convert(desktop, request["docx"], request["pdf"])
                _say(ok=True)
            except Exception as exc:  # reported to the parent as data, the bridge goes on
                _say(ok=False, error=f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}")
    except Exception as exc:
        _say(ok=False, error=f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}")
        return 1
    finally:
        _stop(desktop, office)
        shutil.rmtree(profile, ignore_errors=True)
        if written:  # still there: its caller died before taking it, so nobody else will remove it
            with contextlib.suppress(OSError):
                os.unlink(written)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
