"""Model cards as short readable text, for the app's model panel and `sleepscorer info`.

Plain dictionaries in, strings out: imports neither torch nor Qt.
"""

from __future__ import annotations


def short_date(text: str | None) -> str:
    return (text or "?").replace("T", " ")[:16]


HEADLINE = (("macro_f1", "macro-F1"), ("kappa", "kappa"), ("accuracy", "accuracy"))


def _headline(values: dict, classes: list[str]) -> str:
    parts = [f"{label} {values[key]:.2f}" for key, label in HEADLINE
             if isinstance(values.get(key), int | float)]
    per_class = values.get("f1_per_class")
    if isinstance(per_class, list) and "REM" in classes and len(per_class) == len(classes):
        rem = per_class[classes.index("REM")]  # the hard class; None: none held out
        parts.append(f"REM F1 {rem:.2f}" if isinstance(rem, int | float) else "REM F1 n/a")
    return ", ".join(parts)


def metrics_text(card: dict) -> str:
    """The card's headline numbers, e.g. 'validation: macro-F1 0.78, kappa 0.77, REM F1 0.53'."""
    metrics = card.get("metrics") or {}
    classes = [str(c).upper() for c in card.get("classes", [])]
    top = _headline(metrics, classes)
    if top:
        return top
    for group, values in metrics.items():  # e.g. {"validation_simulated": {...}}
        if isinstance(values, dict) and (text := _headline(values, classes)):
            more = len(metrics) - 1
            return f"{group.replace('_', ' ')}: {text}" + (f" (+{more} in the card)"
                                                            if more else "")
    return "none recorded"


def gate_text(card: dict) -> str:
    """What the lab gate does; "" for a model that never had one to choose (the bundled one)."""
    gate = card.get("lab_gate")
    if "lab_gate" in card and not (isinstance(gate, dict) and gate.get("lab")):
        return "lab gate: none: this model scores every recording"  # a fine-tune chose none
    if not isinstance(gate, dict) or not gate.get("lab"):
        return ""
    return (f"lab gate: recordings unlike its {len(gate['lab'])} corrected recording(s) "
            "are scored by the parent")


def trained_on_text(card: dict) -> str:
    """What a fine-tuned model learned from ('fine-tuned on 900 labelled epochs from 1
    recording(s): mouse1.edf'), or "" for another model. Cards written before the card named
    its recordings give the count alone."""
    data = card.get("training_data") or {}
    if "labelled_epochs" not in data:
        return ""
    names = [str(s.get("recording") or s.get("id")).replace("\\", "/").rsplit("/", 1)[-1]
             for s in data.get("sources") or [] if isinstance(s, dict)]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (f"fine-tuned on {data['labelled_epochs']} labelled epochs from "
            f"{len(data.get('recordings', []))} recording(s)" + (f": {shown}" if names else ""))
