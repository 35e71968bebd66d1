"""Run the outside realism judge on every lab family, several seeds and animals each.

Simulates `--animals` recordings of `--hours` per lab and seed with `sleepscorer simulate`,
runs `../shared/tools/realism/judge.sh` on each lab's folder and prints, per lab, the mean
and worst somnus agreement and each per-state ratio's range beside the real-mouse range.
A development tool: the judge is outside the project and nothing imports it.

    python scripts/judge_corpus.py --seeds 1 2 3 --animals 2 --hours 2 --out docs/realism.md
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUDGE = ROOT.parent / "shared" / "tools" / "realism" / "judge.sh"
AGREE = re.compile(r"^(\S+\.edf): somnus agreement ([\d.]+)")
RATIO = re.compile(r"^\s+(.+?)\s{2,}([\d.]+)\s+real mice ([\d.]+)-([\d.]+)\s+(ok|OUTSIDE)")


def judge_lab(lab: str, seeds: list[int], animals: int, hours: float, work: Path) -> dict:
    folder = work / lab
    for seed in seeds:
        subprocess.run([sys.executable, "-m", "sleepscorer", "simulate", str(folder), "--lab", lab,
                        "--hours", str(hours), "--animals", str(animals), "--seed", str(seed)],
                       check=True, capture_output=True)
    out = subprocess.run(["bash", str(JUDGE), str(folder)], capture_output=True, text=True).stdout
    agree, ratios, outside, current = {}, defaultdict(list), 0, None
    for line in out.splitlines():
        if m := AGREE.match(line):
            current = m.group(1)
            agree[current] = float(m.group(2))
        elif (m := RATIO.match(line)) and current:
            ratios[(m.group(1), f"{m.group(3)}-{m.group(4)}")].append(float(m.group(2)))
            outside += m.group(5) == "OUTSIDE"
    sep = re.search(r"mean ([\d.]+) \(against", out)
    return {"agree": agree, "ratios": ratios, "outside": outside,
            "separability": float(sep.group(1)) if sep else float("nan")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labs", nargs="+", default=["lab_a", "lab_b", "lab_c", "lab_d", "lab_e"])
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--animals", type=int, default=2)
    p.add_argument("--hours", type=float, default=2.0)
    p.add_argument("--out", type=Path, help="also write the table as Markdown here")
    args = p.parse_args(argv)
    rows = ["| lab | recordings | somnus mean | somnus worst | tree separability | ratios outside real range | "
            "ranges seen (ratio: min-max, real) |", "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for lab in args.labs:
            r = judge_lab(lab, args.seeds, args.animals, args.hours, Path(tmp))
            vals = list(r["agree"].values()) or [float("nan")]
            ranges = "; ".join(f"{name}: {min(v):.2f}-{max(v):.2f} ({real})"
                               for (name, real), v in r["ratios"].items())
            rows.append(f"| {lab} | {len(vals)} | {sum(vals) / len(vals):.3f} | {min(vals):.3f} | "
                        f"{r['separability']:.3f} | {r['outside']} | {ranges} |")
            print(rows[-1], flush=True)
    if args.out:
        args.out.write_text("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
