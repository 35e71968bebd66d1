"""`sleepscorer stats LABELS... [--out CSV|JSON]`: sleep architecture of label files, the
same numbers as the app's statistics panel (core/statistics.compute_statistics)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from sleepscorer.cli.arguments import named_path
from sleepscorer.cli.scoring import wrote_line
from sleepscorer.errors import SleepScorerError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats", help="time in each state, bouts, transitions, latencies of label files",
        description="Time in each state (total, per hour, light/dark when a start time is "
                    "known), bout counts and mean durations, transitions, sleep and REM "
                    "latency; with --recording also per-state EEG power spectra.")
    parser.add_argument("labels", nargs="+", type=named_path,
                        help="label files (our CSV, AccuSleep CSV, BIDS events.tsv, .mat "
                             "sleep_scores)")
    parser.add_argument("-o", "--out", type=named_path, default=None,
                        help="write the figures to this .csv or .json file (one labels file: "
                             "every table; several: one row per file and state in CSV, a list "
                             "in JSON)")
    parser.add_argument("--file-epoch-length", "--epoch-length", dest="epoch_length",
                        type=float, default=None, metavar="S",
                        help="epoch length in s of files that do not record it (AccuSleep, "
                             ".mat; default 1)")
    parser.add_argument("--start-time", default=None,
                        help="clock time of the first epoch, e.g. 2024-03-01T08:00 (light 07-19 "
                             "h / dark split and hour labels)")
    parser.add_argument("--clock-hours", action="store_true",
                        help="per-hour bins (in --out) from clock hour to clock hour, the first "
                             "and last partial, instead of hours from the recording's start; "
                             "needs a start time (--start-time or --recording)")
    parser.add_argument("--recording", type=named_path, default=None,
                        help="the recording the labels are for (one labels file): its start "
                             "time, per-state EEG power spectra, and the states during and after "
                             "each stimulation train when it has a trigger channel (in --out .json)")
    parser.set_defaults(func=run)


def _start_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise SleepScorerError(None, f"--start-time {text!r} is not a date and time; use e.g. "
                                     "2024-03-01T08:00") from None


def run(args: argparse.Namespace) -> int:
    from sleepscorer.core.statistics import (
        compute_statistics,
        statistics_dict,
        write_statistics,
    )
    from sleepscorer.io.atomic import write_text_atomic
    from sleepscorer.io.labels import (
        assumed_length_note,
        read_labels_as_recorded,
        unused_length_note,
    )
    from sleepscorer.io.outputs import check_output_file

    start_time = _start_time(args.start_time)
    if args.recording and len(args.labels) > 1:
        raise SleepScorerError(None, "--recording goes with one labels file; give one")
    out = args.out
    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise SleepScorerError(out, "--out must end with .csv or .json")
    inputs = [*args.labels, *([args.recording] if args.recording else [])]
    if out is not None:  # before any reading: not an input, a device, a label file, a record...
        check_output_file(out, inputs, replaces="statistics")
    spectrogram = None
    duration = None
    if args.recording:
        from sleepscorer.core.display import spectrogram as make_spectrogram
        from sleepscorer.io import load_recording

        recording = load_recording(args.recording)
        start_time = start_time or recording.start_time
        if recording.eeg is not None:
            spectrogram = make_spectrogram(recording.eeg.data, recording.eeg.rate)
        duration = recording.duration_s
    if args.clock_hours and start_time is None:
        raise SleepScorerError(args.recording or args.labels[0],
                               "--clock-hours needs the recording's start time, and it is not "
                               "known; give --start-time (e.g. 2024-03-01T08:00)")
    results, stimulation, read = [], None, []
    for path in args.labels:
        hyp = read_labels_as_recorded(path, args.epoch_length, duration)
        read.append(hyp)
        known = args.epoch_length is not None or duration is not None
        if note := assumed_length_note(path, hyp, known, "--file-epoch-length (or --recording)"):
            hyp.warnings.append(note)
        stats = compute_statistics(hyp, start_time=start_time, spectrogram=spectrogram,
                                   clock_hours=args.clock_hours)
        results.append((path, stats))
        print(summary(path, stats))
        for warning in getattr(hyp, "warnings", []):
            print(f"  warning: {warning}")
        if args.recording:
            stimulation = _stimulation(recording, hyp)
    if note := unused_length_note(read, args.epoch_length, "--file-epoch-length"):
        print(f"  warning: {note}")
    if out is not None:
        check_output_file(out, inputs, replaces="statistics")  # still safe after the reading
        replacing = out.is_file() and out.stat().st_size > 0  # an earlier statistics output
        if len(results) == 1 and stimulation is not None and out.suffix.lower() == ".json":
            write_text_atomic(out, json.dumps({**statistics_dict(results[0][1]),
                                               "stimulation": stimulation}, indent=1))
        elif len(results) == 1:
            write_statistics(results[0][1], out)
        elif out.suffix.lower() == ".json":
            write_text_atomic(out, json.dumps([{"file": str(p), **statistics_dict(s)}
                                              for p, s in results], indent=1))
        else:
            _write_many_csv(results, out)
        print(wrote_line(out, replacing))
    return 0


def _stimulation(recording, hyp) -> dict | None:  # noqa: ANN001
    """Print the states around each stimulation train when the recording has a trigger."""
    from sleepscorer.core.stimulation import around_trains, find_trains, trains_dict, trains_text

    found = find_trains(recording, len(hyp.stages), hyp.epoch_length)
    if found is None:
        return None
    channel, ranges = found
    trains = around_trains(hyp.stages, ranges, hyp.epoch_length)
    print(trains_text(channel, trains))
    return trains_dict(channel, trains)


def summary(path, stats) -> str:
    from sleepscorer.core.statistics import LIGHTS_OFF_HOUR, LIGHTS_ON_HOUR

    def minutes(s: float) -> str:
        return f"{s / 60:.1f} min"

    lines = [f"{path}: {minutes(stats.total_s)} ({minutes(stats.unscored_s)} unscored)"]
    for s in stats.states:
        if stats.time_s[s] or stats.bout_count[s]:
            lines.append(f"  {s.label:<9}{minutes(stats.time_s[s]):>11} "
                         f"{stats.percent_of_scored[s]:5.1f} %  {stats.bout_count[s]:5d} bouts, "
                         f"mean {stats.mean_bout_s[s]:.1f} s")
    latency = ("none" if stats.sleep_latency_s is None else minutes(stats.sleep_latency_s))
    rem = "none" if stats.rem_latency_s is None else minutes(stats.rem_latency_s)
    lines.append(f"  sleep latency {latency}, REM latency {rem}; "
                 f"{int(stats.transitions.sum())} transitions")
    if stats.light_s is not None:  # a known clock: the 12:12 split
        on, off = LIGHTS_ON_HOUR, LIGHTS_OFF_HOUR
        for phase, times in ((f"light ({on:02d}-{off:02d} h)", stats.light_s),
                             (f"dark ({off:02d}-{on:02d} h)", stats.dark_s)):
            lines.append(f"  {phase}: " + (", ".join(f"{s.label} {minutes(times[s])}" for s in
                                                     stats.states if times[s]) or "none"))
    lines.append(f"  per hour (in --out): {stats.per_hour_text()}")
    return "\n".join(lines)


def _write_many_csv(results, out: Path) -> None:
    import csv
    import io

    from sleepscorer.io.atomic import write_text_atomic

    with io.StringIO(newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "state", "time_s", "percent_of_scored", "bouts", "mean_bout_s",
                    "sleep_latency_s", "rem_latency_s"])
        for path, st in results:
            for s in st.states:
                w.writerow([path, s.label, f"{st.time_s[s]:g}", f"{st.percent_of_scored[s]:.2f}",
                            st.bout_count[s], f"{st.mean_bout_s[s]:.2f}",
                            "" if st.sleep_latency_s is None else f"{st.sleep_latency_s:g}",
                            "" if st.rem_latency_s is None else f"{st.rem_latency_s:g}"])
        write_text_atomic(out, fh.getvalue())
