"""`sleepscorer simulate OUT_DIR`: write simulated, labelled recordings (EDF + labels CSV).

Each animal gets `<lab>_seed<N>_animal<i>.edf` (EEG/EMG in uV, plus a Trigger channel in
labs with optogenetic stimulation) and `<same>.csv` (our 1-s labels) beside it.
A thin shell over `model.simulation`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sleepscorer.cli.arguments import named_path
from sleepscorer.errors import SleepScorerError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate", help="write simulated labelled EEG/EMG recordings (EDF + labels CSV)",
        description="Simulate rodent EEG/EMG with known 1-s labels; state sequences follow "
                    "real expert hypnograms (MSSV semi-Markov sampler).")
    p.add_argument("out_dir", type=named_path, metavar="OUT_DIR",
                   help="folder to write into (created if needed)")
    p.add_argument("--hours", type=float, default=1.0, help="length of each recording (default 1)")
    p.add_argument("--rate", type=float, default=512.0, help="sampling rate in Hz (default 512)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    p.add_argument("--animals", type=int, default=1, help="number of animals (default 1)")
    p.add_argument("--lab", default="lab_a",
                   help="lab family: lab_a..lab_e, or e.g. lab_c_shifted (default lab_a)")
    p.add_argument("--stages", type=int, choices=(3, 4), default=3,
                   help="3: Wake/NREM/REM; 4: also microarousals (MA)")
    p.add_argument("--generator", choices=("default", "alt"), default="default",
                   help="alt: the same states rendered another way (other waveforms, noise "
                        "colour, filters, amplitude law), for testing transfer; never trained on")
    p.set_defaults(func=run)


def _in_microvolts(recording):  # noqa: ANN001, ANN202 - Recording in, Recording out
    import numpy as np

    from sleepscorer.io.recording import Channel, Recording

    channels = [Channel(c.name, c.kind, (c.data * 1e6).astype(np.float32), c.rate, "uV")
                if c.unit == "V" and c.name != "Trigger" else c for c in recording.channels]
    return Recording(channels, recording.source, recording.start_time, list(recording.warnings))


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from sleepscorer_model.simulation import get_lab, simulate_recording

    from sleepscorer.io import write_edf
    from sleepscorer.io.labels import write_labels_csv
    from sleepscorer.stages import Stage

    out = Path(args.out_dir)
    if not round(args.hours * 3600) >= 1:  # 0.0001 h ended in a traceback and an empty folder
        raise SleepScorerError(out, f"--hours {args.hours:g} is under one second; give e.g. "
                                    "0.5 for half an hour (nothing was written)")
    if args.animals < 1:
        raise SleepScorerError(out, "--animals must be at least 1")
    if not 32 <= args.rate <= 100_000:
        raise SleepScorerError(out, f"--rate {args.rate:g} Hz is outside 32-100000 Hz")
    try:
        lab = get_lab(args.lab)
    except KeyError as exc:
        raise SleepScorerError(None, str(exc.args[0])) from exc
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SleepScorerError(out, f"cannot create the folder ({exc.strerror or exc})") from exc
    stems = [out / f"{lab.name}_seed{args.seed}_animal{i}" for i in range(args.animals)]
    _check_new(stems)
    for i, stem in enumerate(stems):
        seed = np.random.SeedSequence([args.seed, i])
        rec, hyp = simulate_recording(args.hours * 3600.0, args.rate, seed, lab=lab,
                                      stages=args.stages, generator=args.generator)
        write_edf(_in_microvolts(rec), stem.with_suffix(".edf"))
        write_labels_csv(hyp, stem.with_suffix(".csv"))
        counts = {s.label: int((hyp.stages == s).sum()) for s in Stage if s != Stage.UNSCORED}
        print(f"{stem.with_suffix('.edf')}: {rec.duration_s / 3600:.2f} h at {args.rate:g} Hz, "
              + ", ".join(f"{k} {v} s" for k, v in counts.items() if v))
    return 0


def _check_new(stems: list[Path]) -> None:
    """Every recording and label file to write is new, checked before any is written.

    Why: a second run into the same folder with the same --seed and --lab (the names say
    nothing of --hours, --rate or --generator) replaced the first run's recordings and their
    truth labels without a word, under files already exported or scored."""
    from sleepscorer.io.outputs import check_output_file

    for path in (stem.with_suffix(suffix) for stem in stems for suffix in (".edf", ".csv")):
        if path.exists() or path.is_symlink():
            raise SleepScorerError(path, "exists (an earlier simulation?); simulate never "
                                         "replaces a file: give another OUT_DIR or --seed")
        check_output_file(path)
