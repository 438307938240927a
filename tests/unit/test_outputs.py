"""Outputs are written whole or not at all; a full disk is a Chinese message naming the file."""

from __future__ import annotations

import errno
import os

import pytest

from toolkit import outputs
from toolkit.errors import WriteFailed, ZongjieError


class _FullDisk:
    def __init__(self, fd: int, mode: str):
        self.fd = fd

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_keeps_the_old_file_and_names_the_new_one(tmp_path, monkeypatch):
    path = tmp_path / "报告" / "report.html"
    outputs.atomic_write(path, b"old")
    monkeypatch.setattr(outputs.os, "fdopen", _FullDisk)
    with pytest.raises(WriteFailed) as failed:
        outputs.atomic_write(path, b"new")
    assert isinstance(failed.value, ZongjieError) and isinstance(failed.value, OSError)
    assert failed.value.errno == errno.ENOSPC
    assert str(failed.value) == f"无法写出文件“{path}”：磁盘空间不足。"
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.html"]  # no temporary file left


def test_other_write_failures_name_the_file_too(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(WriteFailed, match="not-a-folder"):
        outputs.atomic_write(blocker / "summary.csv", b"data")


def test_summary_space_is_held_and_a_full_disk_holds_nothing(tmp_path, monkeypatch):
    import os

    from toolkit.run import batch

    path = tmp_path / "summary.reserve"
    batch.reserve_space(path, 10)
    assert path.stat().st_size == batch.RESERVE_BASE + 10 * batch.RESERVE_PER_BUREAU

    def full(*args):
        raise OSError(28, "No space left on device")

    class FullDisk:
        def __init__(self, name, mode):
            self.handle = open(name, mode)  # noqa: SIM115 - closed in __exit__

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def fileno(self):
            return self.handle.fileno()

        write = flush = full

    monkeypatch.setattr(os, "posix_fallocate", full)
    monkeypatch.setattr(batch, "open", FullDisk, raising=False)
    batch.reserve_space(path, 10)  # no room even for the reserve: nothing held, nothing raised
    assert not path.exists()


def test_socket_folders_leave_room_for_socket_names(tmp_path, monkeypatch):
    """A deep temporary folder would make kernel socket paths longer than Unix allows (107 bytes)."""
    import tempfile

    from toolkit.run.kernels import IPC_PREFIX
    from toolkit.run.lifetime import private_folder

    deep = tmp_path / ("d" * 60)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    folder = private_folder(IPC_PREFIX)
    try:
        socket = folder / ("0" * 12 + "-4")
        assert len(str(socket).encode()) <= 107
    finally:
        folder.rmdir()


# --- shared files: lock, reread, change, write whole ------------------------------------------


def _appended(marker: str):
    """A change that adds ``marker`` to the YAML list the file holds (a read-modify-write, like every saver)."""
    import yaml

    def change(content: bytes | None) -> bytes:
        items = yaml.safe_load(content) if content else []
        return yaml.safe_dump([*items, marker], allow_unicode=True).encode("utf-8")

    return change


def test_writers_in_threads_at_once_lose_nothing(tmp_path):
    import threading

    import yaml

    path = tmp_path / "overrides" / "demo-2021.yaml"
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(30):
                outputs.update_locked(path, _appended(f"{n}-{i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(yaml.safe_load(path.read_text(encoding="utf-8"))) == sorted(
        f"{n}-{i}" for n in range(6) for i in range(30)
    )
    assert sorted(p.name for p in path.parent.iterdir()) == [".demo-2021.yaml.lock", "demo-2021.yaml"]


_CHILD = """
import sys, yaml
from pathlib import Path
from toolkit import outputs

path, name = Path(sys.argv[1]), sys.argv[2]

def change(content):
    items = yaml.safe_load(content) if content else []
    return yaml.safe_dump([*items, name + "-" + str(i)]).encode()

print("ready", flush=True)
for i in range(40):
    outputs.update_locked(path, change)
"""


def test_writers_in_processes_at_once_lose_nothing(tmp_path):
    """Three processes wait on the lock the test holds, then all write as soon as it is let go."""
    import subprocess
    import sys

    import yaml
    from conftest import ROOT

    path = tmp_path / "signoffs" / "demo-2021.yaml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with outputs.locked(path):
        children = [
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(path), name], env=env, stdout=subprocess.PIPE, text=True
            )
            for name in ("甲", "乙", "丙")
        ]
        assert [child.stdout.readline().strip() for child in children] == ["ready"] * 3
    for child in children:
        child.stdout.close()
        assert child.wait(timeout=120) == 0
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert sorted(written) == sorted(f"{name}-{i}" for name in ("甲", "乙", "丙") for i in range(40))


def test_a_refused_change_writes_nothing_and_none_removes_the_file(tmp_path):
    path = tmp_path / "overrides" / "demo-2021.yaml"
    outputs.update_locked(path, lambda content: b"a: 1\n")

    def refuse(content: bytes | None) -> bytes:
        raise ZongjieError("不能保存")

    with pytest.raises(ZongjieError, match="不能保存"):
        outputs.update_locked(path, refuse)
    assert path.read_bytes() == b"a: 1\n"
    outputs.update_locked(path, lambda content: None)
    assert not path.exists()


def test_a_file_held_too_long_is_a_chinese_message_naming_it(tmp_path):
    from toolkit.errors import FileBusy

    path = tmp_path / "bureaus" / "demo.yaml"
    path.parent.mkdir()
    path.write_bytes(b"name: x\n")
    with outputs.locked(path), pytest.raises(FileBusy) as busy:
        outputs.update_locked(path, lambda content: b"name: y\n", timeout=0.05)
    assert isinstance(busy.value, ZongjieError) and isinstance(busy.value, TimeoutError)
    assert str(path) in str(busy.value) and "正由他人写入" in str(busy.value) and "未作任何修改" in str(busy.value)
    assert path.read_bytes() == b"name: x\n"
