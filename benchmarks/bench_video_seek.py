"""How long the video dock waits for a frame: `VideoReader.frame_at` on a long video.

Writes (once, into --folder) a generated video of --minutes at 640x480, 30 fps, H.264
(libx264 ultrafast, a keyframe every --gop frames; x264's own default is 250) whose frames
show their number (tests/io/conftest.py), then times, at --repeats random places each:

- forward jump: 15 to 55 % of the video ahead (Go to, a click on the overview);
- backward jump: to anywhere at least 15 % back;
- step +1 s / step -1 s: the next / previous 1-s epoch (Right / Left);
- next frame: playback at 1x.

Every frame returned is checked to be the frame of its time. Prints the median and the
worst latency in ms per kind, and the open time. Nothing is cached between the kinds'
samples except what the reader keeps itself (its last few frames).

Usage: python benchmarks/bench_video_seek.py [--minutes 60] [--repeats 20] [--folder DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sleepscorer.io.video import VideoReader  # noqa: E402
from tests.io.conftest import frame_number, write_test_video  # noqa: E402

FPS, SIZE, DIGITS = 30, (640, 480), 6


def make_video(folder: Path, minutes: float, gop: int) -> Path:
    path = folder / f"bench-{minutes:g}min-gop{gop}.mp4"
    if not path.exists():
        started = time.perf_counter()
        write_test_video(path.with_suffix(".part.mp4"), seconds=minutes * 60, fps=FPS,
                         size=SIZE, gop=gop, digits=DIGITS, codec="libx264")
        path.with_suffix(".part.mp4").rename(path)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.0f} s")
    return path


def timed(reader: VideoReader, seconds: float) -> float:
    started = time.perf_counter()
    frame = reader.frame_at(seconds)
    elapsed = (time.perf_counter() - started) * 1000
    expected = int(seconds * FPS + 1e-6)
    got = frame_number(frame.image, DIGITS)
    assert got == expected, f"at {seconds:.3f} s: frame {got}, expected {expected}"
    return elapsed


def measure(path: Path, repeats: int, seed: int = 0) -> dict[str, list[float]]:
    rng = random.Random(seed)
    import av  # noqa: F401 - imported before the clock starts: the app imports it once
    started = time.perf_counter()
    reader = VideoReader(path, max_width=960)
    results = {"open": [(time.perf_counter() - started) * 1000]}
    end = reader.duration_s - 2
    kinds = {"forward jump": [], "backward jump": [], "step +1 s": [], "step -1 s": [],
             "next frame": []}
    for _ in range(repeats):
        here = rng.uniform(0.05, 0.4) * end  # a cold place, then the moves from it
        reader.frame_at(here)
        ahead = here + rng.uniform(0.15, 0.55) * end
        kinds["forward jump"].append(timed(reader, ahead))
        kinds["backward jump"].append(timed(reader, rng.uniform(0.0, ahead - 0.15 * end)))
        t = reader._cache and next(reversed(reader._cache.values())).time or here  # noqa: SLF001
        kinds["step +1 s"].append(timed(reader, t + 1.0))
        kinds["next frame"].append(timed(reader, t + 1.0 + 1 / FPS))
        kinds["step -1 s"].append(timed(reader, t - 1.0))
    reader.close()
    results.update(kinds)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--gop", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    path = make_video(args.folder, args.minutes, args.gop)
    results = measure(path, args.repeats)
    print(f"{path.name}: {args.repeats} samples per kind, ms (median / worst)")
    for kind, values in results.items():
        print(f"  {kind:14s} {statistics.median(values):7.1f} / {max(values):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
