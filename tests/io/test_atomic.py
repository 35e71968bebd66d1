"""Atomic writes leave whole files with ordinary permissions, and nothing on failure."""

import os
import stat

import pytest

from sleepscorer.io.atomic import atomic_path, write_bytes_atomic, write_text_atomic


def test_written_file_has_umask_permissions(tmp_path):
    target = tmp_path / "labels.csv"
    write_text_atomic(target, "epoch\n")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_text() == "epoch\n"


def test_failure_leaves_neither_file_nor_temp(tmp_path):
    target = tmp_path / "model.safetensors"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("cancelled")
    assert list(tmp_path.iterdir()) == []


def test_bytes_and_rename_reach_the_disk(tmp_path, monkeypatch):
    """A power cut after a save must find the new file: the file and its folder are synced."""
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real_fsync(fd)))
    target = tmp_path / "session.npz"
    write_bytes_atomic(target, lambda fh: fh.write(b"labels"))
    assert target.read_bytes() == b"labels"
    assert synced[-1] == str(tmp_path)  # the folder, after the rename
    assert synced[0].startswith(str(tmp_path / ".session.npz."))  # the temporary file, before it
