"""Atomic writes leave whole files with ordinary permissions, and nothing on failure."""

import os
import stat

import pytest

from sleepscorer.io.atomic import atomic_path, write_text_atomic


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
