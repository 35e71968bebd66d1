"""Score 22.5-min crops of the real demo (at 1000 Hz and resampled to 200 Hz) and set each
beside the whole file's labels on the same seconds and beside the anchor consensus.

Why: a short recording at a low rate (a lab's 22.5-min, 200-Hz file) must score as its
seconds score inside a longer one. Real data, no labels: "same" is agreement with the whole
file's own labels, "consensus" is agreement with the anchor consensus (scripts/anchors.py),
neither an accuracy.

    .venv/bin/python scripts/demo_crops.py [WEIGHTS]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from scipy.signal import resample_poly
from sleepscorer_model.data import stages_to_classes
from sleepscorer_model.inference import score
from sleepscorer_model.weights import default_weights_path, load_model

from sleepscorer.io import load_recording
from sleepscorer.io.recording import Channel, Recording

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anchors import demo_consensus  # noqa: E402

DEMO = Path(__file__).resolve().parents[2] / "shared/data/real/openephys-mouse-29min"
CROPS = [(0, 1350), (130, 1480), (260, 1610), (390, 1740)]  # seconds; 1350 s = 22.5 min


def cropped(rec: Recording, start: int, stop: int, down: int) -> Recording:
    """Seconds [start, stop) of every channel, its rate divided by `down` (polyphase)."""
    return Recording([Channel(c.name, c.kind, resample_poly(
        np.asarray(c.data[int(start * c.rate):int(stop * c.rate)], np.float64), 1, down
    ).astype(np.float32), c.rate / down, c.unit) for c in rec.channels], rec.source)


def main() -> int:
    torch.set_num_threads(2)
    weights = load_model(Path(sys.argv[1]) if len(sys.argv) > 1 else default_weights_path())
    demo = load_recording(DEMO)
    consensus = demo_consensus()
    whole = stages_to_classes(score(demo, weights, device="cpu").stages)
    keep = consensus >= 0
    print(f"whole file: consensus {np.mean(whole[keep] == consensus[keep]):.3f}")
    for start, stop in CROPS:
        for down in (1, 5):
            labels = stages_to_classes(score(cropped(demo, start, stop, down), weights,
                                             device="cpu").stages)
            n = len(labels)
            own, cons = whole[start:start + n], consensus[start:start + n]
            k = cons >= 0
            shares = np.round(100 * np.bincount(labels, minlength=3) / n, 1)
            print(f"{start:4d}-{stop} s at {1000 // down:4d} Hz: same as whole "
                  f"{np.mean(labels == own):.3f}, consensus {np.mean(labels[k] == cons[k]):.3f} "
                  f"(the whole on these seconds {np.mean(own[k] == cons[k]):.3f}), "
                  f"W/N/R % {shares.tolist()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
