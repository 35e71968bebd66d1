"""Output paths that can never destroy anything: checked before any long work starts.

`check_output_file` refuses an output that is (or resolves to) one of the inputs, a device,
FIFO or other non-regular file, an existing folder where a file is meant, or an existing file
that holds someone's work (`held_work`: a recording, labels not all set by a model, or any
file SleepScorer did not write), and
checks that its folder exists (or can be made) and is writable; a result (statistics, a
comparison) replaces only an earlier result of its kind (`replaces`). `check_output_folder` does the
same for a folder of results; `check_model_output` for a weights file and its card.
`distinct_names` gives batch outputs names that cannot collide.
Every refusal is a `SleepScorerError` naming the output path.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from sleepscorer.errors import SleepScorerError
from sleepscorer.io.existing import RESULT_REPLACES, held_work, other_output


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop
        return path.absolute()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _resolved(a) == _resolved(b)


def _input_files(inputs: Iterable[str | Path]) -> list[Path]:
    """Inputs, plus the files inside input folders (an Open Ephys folder is an input)."""
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        files.append(p)
        if "_" in p.name and p.suffix.lower() in (".edf", ".bdf"):  # BIDS siblings are read too
            stem = p.name.rsplit("_", 1)[0]
            files += [p.with_name(f"{stem}_{s}") for s in ("channels.tsv", "events.tsv")]
        if p.is_dir():
            try:
                files.extend(q for q in p.iterdir() if q.is_file())
            except OSError:
                pass
    return files


def _nearest_existing(folder: Path) -> Path:
    p = _resolved(folder)
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _check_folder_writable(out: Path, folder: Path, create: bool) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise SleepScorerError(out, f"{folder} is not a folder; choose another output path")
    elif not create:
        raise SleepScorerError(out, f"the folder {folder} does not exist; create it or choose "
                                    "another output path")
    else:
        base = _nearest_existing(folder)
        if not base.is_dir():
            raise SleepScorerError(out, f"{base} is a file, so the folder {folder} cannot be "
                                        "made; choose another output path")
        folder = base
    blocked = _unwritable(folder)
    if blocked:  # first: os.access calls a read-only mount "permission denied" too
        raise SleepScorerError(out, f"cannot write into {folder} ({blocked}); choose a writable "
                                    "output folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SleepScorerError(out, f"cannot write into {folder} (permission denied); choose "
                                    "a writable output folder")


def _unwritable(folder: Path) -> str | None:
    """Why `folder` cannot be written where `os.access` does not see it (a read-only mount),
    or None.

    Asked of the file system, not tried with a probe file: a probe changes the folder's
    modification time, and a refused output (often the input's own folder) must leave no trace.
    Where `statvfs` is missing (Windows) a probe is the only way to know, and its error says why.
    """
    if hasattr(os, "statvfs"):
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            return None
        return "it is on a read-only file system" if read_only else None
    try:
        fd, probe = tempfile.mkstemp(prefix=".sleepscorer-write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def check_output_file(out: str | Path, inputs: Sequence[str | Path] = (),
                      create_parents: bool = True, replaces: str | None = None) -> Path:
    """`out` if it is safe to (over)write as a file; else a `SleepScorerError`.

    Safe means: not an input (also through symlinks or hard links), not a device, FIFO,
    socket or folder, and its folder exists (or can be made when `create_parents`) and can
    be written. An existing regular output file is replaced (atomically) when written.
    `replaces`: the kind of result written (a key of `RESULT_REPLACES`, e.g. "statistics"):
    an existing file is then replaced only when it is an earlier result of that kind, or
    empty (`other_output`); None: any of SleepScorer's replaceable outputs (`held_work`).
    """
    out = Path(out)
    if str(out) in ("", ".", "..") or out.name in ("", ".", ".."):
        raise SleepScorerError(out, "is a folder, not a file name; give a file name such as "
                                    "labels.csv")
    name_bytes = len(out.name.encode("utf-8", "surrogateescape"))
    if name_bytes > NAME_MAX:
        raise SleepScorerError(out, f"the file name is {name_bytes} bytes long; file systems "
                                    f"allow at most {NAME_MAX}, so choose a shorter name")
    for item in _input_files(inputs):
        if item.exists() and out.exists() and _same_file(out, item) or \
                _resolved(out) == _resolved(item):
            raise SleepScorerError(out, f"is the input {item}; writing it would destroy the "
                                        "input, choose another output path")
    if out.is_symlink() or out.exists():
        try:
            mode = out.stat().st_mode
        except OSError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise SleepScorerError(out, "is an existing folder, not a file; give a file name "
                                        "inside it")
        if mode is not None and not stat.S_ISREG(mode):
            raise SleepScorerError(out, "is not a regular file (a device, FIFO or socket); "
                                        "choose an ordinary file as output")
        if mode is not None and not os.access(out, os.W_OK):
            raise SleepScorerError(out, "exists and is read-only; choose another output path "
                                        "or make it writable")
        other = other_output(out, replaces) if mode is not None and replaces else None
        if other:
            raise SleepScorerError(out, f"exists and holds {other}; {RESULT_REPLACES[replaces]}"
                                        ", so choose another output path (or move that file "
                                        "away first)")
        held = held_work(out) if mode is not None else None
        if held and held.startswith("a model ("):
            raise SleepScorerError(out, f"exists and holds {held}; a model is never replaced: "
                                        "give another name (or move that file away first)")
        if held:
            raise SleepScorerError(out, f"exists and holds {held}; SleepScorer replaces only "
                                        "files of model output, so choose another output path "
                                        "(or move that file away first)")
    _check_folder_writable(out, out.parent if str(out.parent) else Path("."), create_parents)
    return out


NAME_MAX = 255  # bytes in one file name on ext4, NTFS (UTF-16 units), APFS
def check_model_output(out: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """The weights file to write for `out` (a name with no suffix gets .safetensors), its card
    NAME.json beside it checked too; another suffix is refused before any training, as
    `manifest.json` or `mouse1.edf` would be written as `manifest.json.safetensors` and
    `.json.json` beside the file the user named."""
    out = Path(out)
    if out.suffix.lower() not in ("", ".safetensors"):
        raise SleepScorerError(out, "a model is written as NAME.safetensors with its card "
                                    "NAME.json; give a name ending with .safetensors")
    if out.suffix.lower() != ".safetensors":
        out = out.with_name(out.name + ".safetensors")
    check_output_file(out, inputs)  # an existing model is never replaced (`held_work`)
    check_output_file(out.with_suffix(".json"), inputs)
    return out


def check_label_output(out: str | Path, bids: bool = False, offer_bids: bool = False) -> Path:
    """`out` if its name says what is written into it: our CSV (`.csv`) or, with `bids`, BIDS
    events (`events.tsv`); else a `SleepScorerError`.

    Why: a label file written under a recording's name (a tab-completed `mouse1.edf`)
    replaced the recording with CSV text, and a `.mat` or plain `.tsv` holding CSV text
    misleads every program that later reads it.
    """
    out = Path(out)
    name = out.name.lower()
    if bids and not name.endswith("events.tsv"):
        raise SleepScorerError(out, "BIDS events are written to a file whose name ends with "
                                    "events.tsv (e.g. sub-01_events.tsv); choose such a name")
    if not bids and not name.endswith(".csv"):  # `offer_bids`: the caller can write those too
        also = " (or with events.tsv for BIDS events)" if offer_bids else ""
        raise SleepScorerError(out, f"labels are written as CSV, so the name must end with "
                                    f".csv{also}; nothing was written")
    return out


def check_output_folder(out: str | Path, inputs: Sequence[str | Path] = (),
                        why: str = "--out must be a folder") -> Path:
    """`out` if results can be written into it as a folder (made if missing); `why` ends the
    message when it is a file."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SleepScorerError(out, f"exists and is not a folder; {why}")
    for item in inputs:
        p = Path(item)
        if p.exists() and not p.is_dir() and out.exists() and _same_file(out, p):
            raise SleepScorerError(out, f"is the input {p}; choose another output folder")
    _check_folder_writable(out, out, create=True)
    return out


def safe_name(text: str) -> str:
    """A file-name part without separators or characters that trouble file systems."""
    keep = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in text)
    return keep.strip(".") or "recording"


def _fitted(base: str, suffix: str) -> str:
    """`base + suffix` cut to a file name every file system takes (a 248-character recording
    name failed only after its scoring); 8 bytes are left for a number that tells names apart."""
    room = NAME_MAX - 8 - len(suffix.encode())
    return base.encode()[:room].decode(errors="ignore") + suffix


def distinct_names(inputs: Sequence[Path], suffix: str) -> list[str]:
    """One output file name per input (`NAME<suffix>`), distinct even where stems repeat.

    The stem alone is used where it is unique; a repeated stem (rec.edf beside rec.mat)
    keeps its extension (rec_edf), and still-repeated names take as many parent folder
    names as they need (d1_rec, d2_rec). Compared case-insensitively.
    """
    def candidate(p: Path, depth: int, with_ext: bool) -> str:
        stem = p.name[: -len(p.suffix)] if p.suffix and p.name != p.suffix else p.name
        parts = [stem + (f"_{p.suffix[1:]}" if with_ext and p.suffix else "")]
        parents = _resolved(p).parent.parts[::-1]
        parts = [*reversed(parents[:depth]), *parts]
        return _fitted(safe_name("_".join(x for x in parts if x not in ("/", "\\"))), suffix)

    names = [candidate(p, 0, False) for p in inputs]
    for depth, with_ext in [(d, e) for d in range(64) for e in (False, True)][1:]:
        counts: dict[str, int] = {}
        for n in names:
            counts[n.lower()] = counts.get(n.lower(), 0) + 1
        clashing = [i for i, n in enumerate(names) if counts[n.lower()] > 1]
        if not clashing:
            return names
        for i in clashing:
            names[i] = candidate(inputs[i], depth, with_ext)
    lowered = [n.lower() for n in names]
    for i, n in enumerate(names):  # names that differ only in case: number them
        if lowered.count(n.lower()) > 1:
            names[i] = n[: -len(suffix)] + f"_{i + 1}" + suffix
    return names
