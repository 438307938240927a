"""What a stopped or killed batch leaves, and how the next one deals with it (no kernel needed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from toolkit.publish import pdf
from toolkit.run import batch, lifetime, pool
from toolkit.run.execute import clear
from toolkit.run.kernels import IPC_PREFIX
from toolkit.run.spec import RunSpec


@pytest.fixture
def own_tmp(monkeypatch):
    """A temporary folder of its own, shallow enough to hold kernel sockets (see ``SOCKET_ROOM``)."""
    import shutil
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="zj-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_private_folders_of_killed_processes_are_removed_by_the_next_one(own_tmp):
    ended = subprocess.Popen(["true"])  # a process that has ended
    ended.wait()
    dead = own_tmp / f"zongjie-ipc-{ended.pid}-abc"
    (dead / "sub").mkdir(parents=True)
    (dead / "kernel.json").write_text("{}")
    living = own_tmp / f"zongjie-ipc-{os.getppid()}-def"  # a process still running
    living.mkdir()
    other = own_tmp / "zongjie-ipc-notapid"  # not named by a process: not ours to judge
    other.mkdir()

    made = lifetime.private_folder("zongjie-ipc-")

    assert made.is_dir() and made.parent == own_tmp and made.name.startswith(f"zongjie-ipc-{os.getpid()}-")
    assert not dead.exists()
    assert living.is_dir() and other.is_dir()


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)
    lifetime._STOPPED_BY.clear()


def test_sigterm_stops_a_batch_as_ctrl_c_does_except_while_the_summary_is_written(restore_signals):
    lifetime.stop_on_terminate()
    with lifetime.deferred_stop():  # the summary: neither signal cuts it short
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)  # children don't inherit IGN
    with pytest.raises(KeyboardInterrupt) as stopped:  # where the batch catches Ctrl-C
        os.kill(os.getpid(), signal.SIGTERM)
    assert isinstance(stopped.value, lifetime.Terminated)
    assert lifetime.interrupted_status() == 128 + signal.SIGTERM


def test_ctrl_c_exits_130(restore_signals):
    assert lifetime.interrupted_status() == 130


def test_once_the_summary_is_being_written_no_stop_signal_cuts_it_or_the_exit_short(restore_signals):
    lifetime.finishing()
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, signal.SIG_DFL)


def test_a_stop_signal_while_the_interpreter_exits_does_not_change_the_exit_status():
    """Python puts handlers back to the default as it shuts down; a Ctrl-C then would end it as killed."""
    late = (
        "import os, signal\n"
        "from toolkit.run import lifetime\n"
        "class Late:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "late = Late()\n"
        "lifetime.finishing()\n"
        "print('written')\n"
    )
    done = subprocess.run([sys.executable, "-c", late], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "written", "")


def test_a_second_ctrl_c_while_the_first_is_reported_changes_nothing(monkeypatch, restore_signals, capsys):
    from toolkit import cli

    def stopped(args):
        raise KeyboardInterrupt  # Ctrl-C while the ledgers are validated, say

    monkeypatch.setitem(cli.COMMANDS, "reports", stopped)
    assert cli.main(["reports"]) == 130
    try:
        os.kill(os.getpid(), signal.SIGINT)  # pressed again as the command exits
        time.sleep(0.01)
    except KeyboardInterrupt:
        pytest.fail("the second Ctrl-C ended the command with a traceback")
    assert "已中断" in capsys.readouterr().err


def test_a_stopped_batch_removes_what_its_workers_were_writing(minimal, tmp_path):
    data, params = minimal
    planned = batch.plan(RunSpec(data, params, 2021, out_dir=tmp_path / "out"), force=True)
    folder = tmp_path / "out" / "2021" / "demo"
    folder.mkdir(parents=True)
    half = folder / ".report.html.x7.tmp"  # a worker told to stop leaves through os._exit, mid-write
    half.write_bytes(b"<html")

    summary = batch.summarise(planned, batch.Outcome(interrupted=True))

    assert [r.status for r in summary.results] == ["interrupted"] and not half.exists()


class _LeavingPool:
    """A pool whose notebooks are done and whose workers get a Ctrl-C as they leave."""

    def __init__(self, *args, **kwargs):
        self.stops = 0

    def submit(self, fn, spec, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(batch.RunResult(spec.bureau or batch.OVERVIEW, spec.year, ok=True))
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        self.stops += 1
        if self.stops == 1:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_while_the_workers_leave_keeps_every_finished_result(minimal, tmp_path, monkeypatch, restore_signals):
    data, params = minimal
    planned = batch.plan(RunSpec(data, params, 2021, out_dir=tmp_path / "out"), force=True)
    monkeypatch.setattr(pool, "ProcessPoolExecutor", _LeavingPool)
    try:
        outcome = batch.run(planned)
    except KeyboardInterrupt:
        pytest.fail("a Ctrl-C as the workers left lost every result")
    assert sorted(outcome.results) == sorted(["demo", batch.OVERVIEW])
    assert all(r.ok for r in outcome.results.values())


def test_the_next_batch_removes_what_a_killed_one_left_half_written(minimal, tmp_path, own_tmp):
    data, params = minimal
    year = tmp_path / "out" / "2021"
    (year / ".zongjie").mkdir(parents=True)
    left = [year / ".summary.csv.k2j3_x.tmp", year / ".汇总表.docx.abcd.tmp", year / ".zongjie" / ".ledgers.pkl.q.tmp"]
    for path in left:
        path.write_bytes(b"half")
    (year / "summary.csv").write_text("bureau\n", encoding="utf-8")
    ended = subprocess.Popen(["true"])  # a killed worker's kernel sockets and connection file
    ended.wait()
    left.append(own_tmp / f"{IPC_PREFIX}{ended.pid}-x1")
    left[-1].mkdir()
    (left[-1] / "k.json").write_text("{}")

    batch.plan(RunSpec(data, params, 2021, out_dir=tmp_path / "out"))  # even with nothing to run

    assert [p for p in left if p.exists()] == []
    assert (year / "summary.csv").is_file() and (year / ".zongjie" / "ledgers.pkl").is_file()


def test_a_stopped_batch_writes_summary_and_table_without_waiting_for_libreoffice(minimal, tmp_path, monkeypatch):
    from toolkit import outputs
    from toolkit.publish import pdf

    def no_pdf_now(*args, **kwargs):
        raise AssertionError("LibreOffice started after Ctrl-C")

    monkeypatch.setattr(pdf, "write_beside", no_pdf_now)
    data, params = minimal
    planned = batch.plan(RunSpec(data, params, 2021, out_dir=tmp_path / "out", pdf=True))

    summary = batch.summarise(planned, batch.Outcome(interrupted=True))

    year = tmp_path / "out" / "2021"
    assert summary.interrupted and [r.status for r in summary.results] == ["interrupted"]
    assert (year / "summary.csv").is_file() and (year / "index.html").is_file()
    assert (year / outputs.SUMMARY_TABLE_DOCX).is_file() and not (year / outputs.SUMMARY_TABLE_PDF).exists()
    assert any("汇总表 PDF 未生成" in p and "中断" in p for p in summary.problems)


def test_a_pdf_cut_short_is_a_temporary_file_the_bureaus_next_run_removes(tmp_path, monkeypatch):
    folder = tmp_path / "b1"
    folder.mkdir()
    (folder / "report.docx").write_bytes(b"docx")
    sent = []
    converter = pdf.Converter()
    monkeypatch.setattr(converter, "start", lambda: None)
    monkeypatch.setattr(converter, "_send", sent.append)
    monkeypatch.setattr(converter, "_reply", lambda timeout: None)  # LibreOffice never answers
    monkeypatch.setattr(converter, "_kill", lambda: None)

    with pytest.raises(pdf.PdfError):
        converter.convert(folder / "report.docx", folder / "report.pdf")

    # what LibreOffice would have written had its caller been killed meanwhile (nothing removes it then)
    written = tmp_path / "b1" / os.path.basename(sent[0]["pdf"])
    assert written.parent == folder
    written.write_bytes(b"%PDF half")
    clear(folder)
    assert not written.exists()


def test_workers_are_forked_only_by_a_single_threaded_caller_that_may():
    """The command line forks its early workers (they start sooner); anything later, or any
    process with another thread, spawns them (a fork could copy a lock that thread holds)."""
    import threading

    alone = threading.active_count() == 1
    assert pool.start_method(False) == "spawn"
    assert pool.start_method(True) == ("fork" if alone else "spawn")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert pool.start_method(True) == "spawn"
    finally:
        stop.set()
        other.join()
