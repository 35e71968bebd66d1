"""The demo mouse's anchor consensus (see tests/data/README.md): a development reference.

Where the first shipped network (0.872 against the expert, measured outside) and the first
tree (0.912) agree, the expert almost surely agrees too; elsewhere the consensus is -1.
Agreement with it is reported as such, never as an accuracy.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ANCHORS = Path(__file__).resolve().parents[1] / "tests" / "data" / "openephys-demo-anchors.csv"
CLASS = {"W": 0, "N": 1, "R": 2}


def demo_anchors() -> tuple[np.ndarray, np.ndarray]:
    """(first_network, first_tree) class indices (0 Wake, 1 NREM, 2 REM) per 1-s epoch."""
    with ANCHORS.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return (np.array([CLASS[r["first_network"]] for r in rows]),
            np.array([CLASS[r["first_tree"]] for r in rows]))


def demo_consensus() -> np.ndarray:
    a, b = demo_anchors()
    return np.where(a == b, a, -1)


def consensus_agreement(pred: np.ndarray) -> float:
    """Share of the consensus epochs on which `pred` (class indices per 1-s epoch) agrees."""
    cons = demo_consensus()
    n = min(len(cons), len(pred))
    keep = cons[:n] >= 0
    assert keep.sum() > 1200, "the anchor file is cut short"
    return float(np.mean(np.asarray(pred)[:n][keep] == cons[:n][keep]))
