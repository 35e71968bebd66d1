"""`sleepscorer info PATH`: what a recording holds (channels, roles, rates, duration, warnings),
or, for a model file, its card in short (name, parent, metrics, lab gate)."""

from __future__ import annotations

import argparse

from sleepscorer.cli.arguments import named_path, rate_hz


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show a recording's channels, rates and warnings, "
                                                "or a model file's card")
    parser.add_argument("path", type=named_path,
                        help="EDF/BDF, .mat, Open Ephys folder or .continuous, CSV/Parquet, or "
                             "a model (.safetensors)")
    parser.add_argument("--rate", type=rate_hz, default=None, metavar="HZ",
                        help="sampling rate in Hz (needed for CSV/Parquet tables)")
    parser.set_defaults(func=run)


def hms(seconds: float) -> str:
    """Seconds as h:mm:ss (whole seconds)."""
    total = int(round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def run(args: argparse.Namespace) -> int:
    from sleepscorer.io import load_recording

    path = args.path
    if path.suffix.lower() == ".json" and path.with_suffix(".safetensors").exists():
        # a model's card: shown from the model it describes (`.`, `/` have no suffix to swap)
        return show_model(str(path.with_suffix(".safetensors")))
    if path.name.endswith(".safetensors"):
        return show_model(str(path))
    recording = load_recording(path, rate=args.rate)
    print(f"file:       {recording.source}")
    print(f"duration:   {hms(recording.duration_s)} ({recording.duration_s:g} s, "
          f"every channel)")
    start = recording.start_time.isoformat(sep=" ") if recording.start_time else "unknown"
    print(f"start time: {start}")
    print(f"rates:      {recording.rates_text()} (each channel is kept at its own rate)")
    print("channels:")
    for ch in recording.channels:
        print(f"  {ch.name:<16} {ch.kind.value:<6} {ch.rate:g} Hz, {len(ch.data)} samples, "
              f"{channel_size(ch)}")
    if recording.warnings:
        print("warnings:")
        for warning in recording.warnings:
            print(f"  - {warning}")
    return 0


def channel_size(ch) -> str:  # noqa: ANN001 - an io.Channel
    """'peak 4.6 V': the largest value in the unit the app's track shows (core/units). An
    EEG or EMG stays in the unit it is held in (µV); another channel gets the prefix that
    suits it, so a trigger recorded in volts is not listed as a µV signal."""
    from sleepscorer.core.units import peak, shown_unit
    from sleepscorer.io.recording import ChannelKind

    top = peak(ch.data)
    factor, unit = shown_unit(ch.unit, top if ch.kind is ChannelKind.OTHER else 0.0)
    return f"peak {top * factor:.3g} {unit}".rstrip()


def show_model(path: str) -> int:
    from sleepscorer_model.card_text import gate_text, metrics_text, short_date, trained_on_text
    from sleepscorer_model.registry import find_parent
    from sleepscorer_model.weights import load_model

    from sleepscorer.stages import display_name

    model = load_model(path)
    card = model.card
    print(f"model:        {model.name}")
    print(f"file:         {path}")
    classes = ", ".join(display_name(c) for c in card["classes"])  # Wake, as the app shows
    print(f"architecture: {card.get('architecture')}; classes {classes}; "
          f"inputs {', '.join(card.get('modalities', []))}")
    print(f"created:      {short_date(card.get('created'))}")
    print(f"weights hash: {card.get('weights_sha256')}")
    parent_hash = card.get("parent_sha256")
    if parent_hash:
        parent = find_parent(model)
        where = f"{parent.name} ({parent.path})" if parent else "not found on this computer"
        print(f"parent:       {parent_hash[:12]}... = {where}")
    print(f"metrics:      {metrics_text(card)}")
    if trained_on_text(card):
        print(trained_on_text(card))
    if gate_text(card):
        print(gate_text(card))
    return 0
