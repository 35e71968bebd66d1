"""`sleepscorer info PATH`: what a recording holds (channels, roles, rates, duration, warnings)."""

from __future__ import annotations

import argparse

from sleepscorer.io import load_recording


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show a recording's channels, rates and warnings")
    parser.add_argument("path", help="EDF/BDF, .mat, Open Ephys folder or .continuous, CSV/Parquet")
    parser.add_argument("--rate", type=float, default=None,
                        help="sampling rate in Hz (needed for CSV/Parquet tables)")
    parser.set_defaults(func=run)


def hms(seconds: float) -> str:
    """Seconds as h:mm:ss (whole seconds)."""
    total = int(round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def run(args: argparse.Namespace) -> int:
    recording = load_recording(args.path, rate=args.rate)
    print(f"file:       {recording.source}")
    print(f"duration:   {hms(recording.duration_s)} ({recording.n_samples} samples "
          f"at {recording.rate:g} Hz)")
    start = recording.start_time.isoformat(sep=" ") if recording.start_time else "unknown"
    print(f"start time: {start}")
    print("channels:")
    for ch in recording.channels:
        unit = f" {ch.unit}" if ch.unit else ""
        print(f"  {ch.name:<16} {ch.kind.value:<6} {ch.rate:g} Hz{unit}")
    if recording.warnings:
        print("warnings:")
        for warning in recording.warnings:
            print(f"  - {warning}")
    return 0
