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
