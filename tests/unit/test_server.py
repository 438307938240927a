"""A server run by ``zongjie review`` / ``zongjie lab`` is stopped whole: no kernel, no folder left (no Jupyter needed).

The "server" here is a small Python program that, like Jupyter, starts a "kernel" in a
session of its own; the kernel ignores SIGTERM, so only a kill ends it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, running, wait_for

from toolkit.ui import server

FAKE_SERVER = """
import os, signal, subprocess, sys, time
from pathlib import Path

behaviour, ready = sys.argv[1], Path(sys.argv[2])
kernel = subprocess.Popen(
    [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); time.sleep(600)"],
    start_new_session=True, stdout=subprocess.PIPE,
)
kernel.stdout.readline()  # its SIGTERM is ignored from here
if behaviour == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if behaviour == "fails":
    sys.exit(3)
ready.write_text(f"{os.getpid()} {kernel.pid}")
time.sleep(600)
"""

#: The command: serve() in a process of its own, so that signals can be sent to it.
COMMAND = """
import sys
from pathlib import Path
from toolkit.ui.server import serve
fake, behaviour, ready, folder, grace = sys.argv[1:]
served = serve([sys.executable, fake, behaviour, ready], cwd=Path.cwd(), env=None, folders=[Path(folder)], grace=float(grace))
print(served.status, served.stopped_by, flush=True)
"""

DEADLINE = 60.0


def start(tmp_path: Path, behaviour: str, grace: float = server.GRACE) -> tuple[subprocess.Popen, Path, Path]:
    fake = tmp_path / "fake_server.py"
    fake.write_text(textwrap.dedent(FAKE_SERVER), encoding="utf-8")
    ready, folder = tmp_path / "ready", tmp_path / "home"
    (folder / "runtime").mkdir(parents=True)
    (folder / "runtime" / "kernel-1.json").write_text("{}")
    command = subprocess.Popen(
        [sys.executable, "-c", COMMAND, str(fake), behaviour, str(ready), str(folder), str(grace)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return command, ready, folder


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stopped_command_leaves_no_server_no_kernel_and_no_folder(tmp_path, stop):
    command, ready, folder = start(tmp_path, "polite")
    wait_for(ready.exists, DEADLINE, "the server did not start", step=0.05)
    pids = [int(pid) for pid in ready.read_text().split()]
    assert all(map(running, pids))

    command.send_signal(stop)
    out, _ = command.communicate(timeout=DEADLINE)
    assert out.split() == ["-15", str(int(stop))]  # the server ended by the SIGTERM it was sent
    assert command.returncode == 0  # stopping a server is no failure
    assert not any(map(running, pids))  # the kernel too, though it ignores SIGTERM and has left the server's session
    assert not folder.exists()


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    command, ready, folder = start(tmp_path, "stubborn", grace=1.0)
    wait_for(ready.exists, DEADLINE, "the server did not start", step=0.05)
    pids = [int(pid) for pid in ready.read_text().split()]
    asked = time.monotonic()
    command.send_signal(signal.SIGTERM)
    out, _ = command.communicate(timeout=DEADLINE)
    assert time.monotonic() - asked >= 1.0  # it had its chance to stop its kernels
    assert out.split() == ["-9", str(int(signal.SIGTERM))]
    assert not any(map(running, pids)) and not folder.exists()


def test_a_server_that_fails_by_itself_says_with_what_status_and_leaves_nothing(tmp_path):
    command, _, folder = start(tmp_path, "fails")
    out, _ = command.communicate(timeout=DEADLINE)
    assert out.split() == ["3", "None"]
    assert not folder.exists()


def test_the_browser_is_opened_on_the_address_once_the_server_answers(tmp_path, monkeypatch):
    opened: list[tuple[str, bool]] = []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/?token=abc"

    def open_url(address: str) -> bool:
        listening = socket.socket()
        try:
            listening.connect(("127.0.0.1", port))
            opened.append((address, True))
        except OSError:
            opened.append((address, False))
        finally:
            listening.close()
        return True

    monkeypatch.setattr(server.webbrowser, "open", open_url)
    # a server that takes a moment before it listens, and stops once it was asked for something
    listen = (
        f"import socket, time; time.sleep(0.5); s = socket.create_server(('127.0.0.1', {port})); "
        "[s.accept()[0].close() for _ in range(2)]"
    )
    served = server.serve([sys.executable, "-c", listen], cwd=tmp_path, env=None, url=url, open_browser=True)
    assert served.status == 0
    wait_for(lambda: opened, DEADLINE, "the browser was not opened", step=0.05)
    assert opened == [(url, True)]  # once, when the server answered


def test_nothing_is_opened_without_being_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(server.webbrowser, "open", lambda address: pytest.fail(f"opened {address}"))
    served = server.serve([sys.executable, "-c", "pass"], cwd=tmp_path, env=None, url="http://127.0.0.1:1/")
    assert served == server.Served(0)
