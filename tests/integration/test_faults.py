"""A batch survives what happens to batches: Ctrl-C, kill -9 of its main process, a full disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    PARAMS,
    SAMPLE,
    add_bureaus,
    cmdline,
    descendants,
    running,
    wait_for,
)

from toolkit.run.batch import read_summary
from toolkit.run.result import complete, recorded

#: Enough bureaus that a one-worker batch (~0.3 s a notebook, 3 a second) is still running when the
#: watcher (which walks /proc, slow on a busy machine) has seen it start and stops it.
EXTRA = [f"extra-{n}" for n in range(1, 61)]


@pytest.fixture
def world(tmp_path):
    """The sample bureaus plus sixty more, so a batch with one worker runs long enough to be stopped."""
    data, params = tmp_path / "data", tmp_path / "params"
    shutil.copytree(SAMPLE, data)
    shutil.copytree(PARAMS, params)
    add_bureaus(data, params, EXTRA)
    codes = sorted([p.stem for p in (PARAMS / "bureaus").glob("*.yaml")] + EXTRA)
    (tmp_path / "tmp").mkdir()
    return {"data": data, "params": params, "out": tmp_path / "out", "codes": codes, "tmp": tmp_path / "tmp"}


def batch_args(world, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "toolkit.cli",
        "batch",
        "--data",
        str(world["data"]),
        "--params",
        str(world["params"]),
        "--year",
        "2021",
        "--out",
        str(world["out"]),
        *extra,
    ]


def is_kernel(pid: int) -> bool:
    return b"ipykernel" in cmdline(pid)


def start(world, *extra: str) -> tuple[subprocess.Popen, set[int]]:
    """A batch with one worker, watched until one bureau has finished and the next kernel runs.

    Its temporary files go to ``world["tmp"]``, so a test can see what it leaves there.
    """
    process = subprocess.Popen(
        batch_args(world, "--jobs", "1", *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(world["tmp"])},
    )
    seen: set[int] = set()
    year = world["out"] / "2021"

    def under_way() -> bool:
        assert process.poll() is None, process.communicate()
        seen.update(descendants(process.pid))
        done = any(recorded(year / code) for code in world["codes"]) if year.is_dir() else False
        return done and any(is_kernel(pid) for pid in seen if running(pid))

    wait_for(under_way, seconds=300, step=0.2)
    return process, seen


def summary(world) -> dict[str, dict]:
    return {row["bureau"]: row for row in read_summary(world["out"] / "2021" / "summary.csv")}


def test_ctrl_c_stops_quickly_ends_kernels_and_summarises(world):
    process, seen = start(world)
    stopped = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    took = time.monotonic() - stopped
    assert process.returncode == 130, err
    assert took < 10, took
    assert "Traceback" not in out + err and "已中断" in err
    time.sleep(1)
    assert [pid for pid in seen if running(pid)] == []  # workers, kernels, resource tracker
    assert not list(world["tmp"].iterdir())  # kernels' sockets and connection files
    rows = summary(world)
    assert sorted(rows) == world["codes"]
    statuses = {row["status"] for row in rows.values()}
    assert statuses <= {"ok", "interrupted"} and {"ok", "interrupted"} <= statuses
    assert all(row["error"] == "已中断，未完成。" for row in rows.values() if row["status"] == "interrupted")
    assert (world["out"] / "2021" / "index.html").is_file()
    for code, row in rows.items():  # what is marked done really is
        if row["status"] == "ok":
            assert complete(world["out"] / "2021" / code, recorded(world["out"] / "2021" / code))


def test_kill_9_leaves_no_process_and_the_next_batch_completes(world):
    process, seen = start(world, "--force")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)

    def gone() -> bool:
        return not [pid for pid in seen | descendants(process.pid) if running(pid)]

    wait_for(gone, seconds=10, step=0.2)
    year = world["out"] / "2021"
    for notebook in year.glob("*/report.ipynb"):  # written whole or not at all
        json.loads(notebook.read_text(encoding="utf-8"))
    again = subprocess.run(
        batch_args(world, "--jobs", "2"),
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "TMPDIR": str(world["tmp"])},
    )
    assert again.returncode == 0, again.stderr
    rows = summary(world)
    assert sorted(rows) == world["codes"] and {row["status"] for row in rows.values()} == {"ok"}
    for code in world["codes"]:
        result = recorded(year / code)
        assert result is not None and result.ok and complete(year / code, result), code
    assert not list(year.glob("*/.*.tmp"))
    assert not list(world["tmp"].iterdir())  # the killed batch's kernel folders went with the next batch


def test_sigterm_stops_as_ctrl_c_does_even_with_ctrl_c_pressed_meanwhile(world):
    """`kill PID` (a scheduler, a container stopping), then an impatient Ctrl-C during the stop."""
    process, seen = start(world)
    stopped = time.monotonic()
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert time.monotonic() - stopped < 10
    assert "Traceback" not in out + err and "已中断" in err
    time.sleep(1)
    assert [pid for pid in seen if running(pid)] == []
    assert not list(world["tmp"].iterdir())
    rows = summary(world)
    assert sorted(rows) == world["codes"]
    assert {"ok", "interrupted"} <= {row["status"] for row in rows.values()} <= {"ok", "interrupted"}
    assert (world["out"] / "2021" / "index.html").is_file()
    for code, row in rows.items():
        if row["status"] == "ok":
            assert complete(world["out"] / "2021" / code, recorded(world["out"] / "2021" / code))


def test_ctrl_c_while_the_workers_start_shows_no_traceback(world):
    """Ctrl-C reaches the terminal's whole process group: workers still starting included."""
    process = subprocess.Popen(
        batch_args(world, "--jobs", "2", "--force"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )

    def starting() -> bool:  # a worker (forked by the command line, or spawned) and no kernel yet
        assert process.poll() is None, process.communicate()
        below = [cmdline(pid) for pid in descendants(process.pid)]
        return bool(below) and not any(b"ipykernel" in line for line in below)

    wait_for(starting, seconds=300, step=0.005)
    time.sleep(0.05)  # the new worker is starting, before it can ignore Ctrl-C itself
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in out + err and "Fatal Python error" not in err and "已中断" in err


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def test_full_disk_fails_the_bureaus_it_hits_and_names_the_file(world, tmp_path):
    out = tmp_path / "full"
    if not _mount_tmpfs(out, "3m"):
        pytest.skip("mounting a small tmpfs needs privileges this machine does not give")
    try:
        world = {**world, "out": out}
        result = subprocess.run(batch_args(world, "--jobs", "2"), capture_output=True, text=True, timeout=900)
        assert result.returncode == 1
        assert "Traceback" not in result.stdout + result.stderr and "NotJSONError" not in result.stderr
        rows = summary(world)  # written although the disk is full
        assert sorted(rows) == world["codes"]
        failed = {code: row for code, row in rows.items() if row["status"] == "failed"}
        assert failed and len(failed) < len(rows)
        for code, row in failed.items():
            assert "磁盘空间不足" in row["error"] and "“" + str(out) in row["error"], row
            assert recorded(out / "2021" / code) is None or not recorded(out / "2021" / code).ok
        for code in set(rows) - set(failed):
            assert complete(out / "2021" / code, recorded(out / "2021" / code))
        for path in out.rglob("*.ipynb"):  # no empty or truncated notebook
            json.loads(path.read_text(encoding="utf-8"))
        assert not list(out.rglob(".*.tmp"))
    finally:
        subprocess.run(["umount", str(out)], check=False)
