"""Batches for `sleepscorer score`: the recordings named or found, their output names, and
scoring them here or in N worker processes; a failure in one file never stops the others,
and the summary lists them at the end."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

from sleepscorer.cli.scoring import OUTPUT_SUFFIX, end_live, live, score_file
from sleepscorer.errors import SleepScorerError


@dataclass
class Outcome:
    path: Path
    out: Path | None = None
    epochs: int = 0
    fractions: dict[str, float] | None = None
    seconds: float = 0.0
    note: str = ""
    error: str = ""
    replaced: bool = False  # `out` held this program's earlier output


def _summarise(path: Path, out: Path, result, seconds: float) -> Outcome:  # noqa: ANN001
    stages = result.stages
    fractions = {c.label: float((stages == int(c)).mean()) for c in result.classes}
    return Outcome(path, out, len(stages), fractions, seconds, "\n".join(result.warnings))


_WORKER_MODEL = None  # one model per worker process, loaded by _init_worker


def _init_worker(model_path: Path | None, device: str, threads: int) -> None:
    global _WORKER_MODEL
    import torch
    from sleepscorer_model.inference import pick_device
    from sleepscorer_model.weights import resolve_model

    torch.set_num_threads(threads)
    _WORKER_MODEL = resolve_model(model_path, pick_device(device))


def _score_in_worker(path: Path, out: Path, options, roles: dict,  # noqa: ANN001
                     rate: float | None = None) -> Outcome:
    started = time.perf_counter()
    replaced = out.exists()
    try:
        result = score_file(path, out, _WORKER_MODEL, options, roles=roles, rate=rate,
                            roles_if_named=True)
    except SleepScorerError as exc:
        return Outcome(path, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        return Outcome(path, error=f"{path}: unexpected {type(exc).__name__}: {exc}")
    return replace(_summarise(path, out, result, time.perf_counter() - started), replaced=replaced)


def collect(paths: list[Path], recursive: bool) -> list[tuple[Path, Path]]:
    """(recording, path relative to its argument) for every recording named or found."""
    from sleepscorer.io.discover import find_recordings, is_openephys_folder

    found = []
    seen: set[Path] = set()
    for arg in paths:
        if arg.is_dir() and not is_openephys_folder(arg):
            items = [(p, p.relative_to(arg)) for p in find_recordings(arg, recursive)]
        else:
            items = [(arg, Path(arg.name))]
        for p, rel in items:
            key = p.resolve() if p.exists() else p.absolute()
            if key not in seen:  # the same recording named twice is scored once
                seen.add(key)
                found.append((p, rel))
    return found


SCORED_KINDS = ("EDF, BDF, MATLAB and Parquet recordings (by their content, whatever their "
                "names) and Open Ephys folders")
_PASSED_OVER = (  # (kind, what it is, one, several)
    ("signal table", "signal table", "signal tables"),
    ("labels", "label file", "label files"),
    ("sidecar", "BIDS sidecar", "BIDS sidecars"),
    ("table", "other table", "other tables"),
    ("empty", "empty file", "empty files"),
    ("broken link", "broken link", "broken links"),
    ("other", "other file", "other files"),
)


def unsearched_note(paths: list[Path], recursive: bool) -> str | None:
    """'not searched: 1 sub-folder (misleep-10min); --recursive (-r) scores recordings in
    sub-folders too', or None. Why: `score data` scored one folder's recordings and said
    nothing of the two in its sub-folder."""
    from sleepscorer.io.discover import is_openephys_folder

    if recursive:
        return None
    subs = [d.name for arg in paths if arg.is_dir() and not is_openephys_folder(arg)
            for d in sorted(arg.iterdir()) if d.is_dir() and not d.name.startswith(".")
            and not is_openephys_folder(d)]
    if not subs:
        return None
    shown = ", ".join(subs[:3]) + (", ..." if len(subs) > 3 else "")
    return (f"not searched: {len(subs)} sub-folder{'s' if len(subs) > 1 else ''} ({shown}); "
            "--recursive (-r) scores recordings in sub-folders too")


def unscored_note(paths: list[Path], recursive: bool, found: list[tuple[Path, Path]],
                  out: Path) -> str | None:
    """A note on the files in the folders given that a batch does not score, grouped by what
    they are ('not scored: 1 label file (x.csv), 2 other files (notes.txt, README)'), with
    what to do for those that could be scored. Files inside an Open Ephys folder, hidden
    ones, earlier outputs and those named after a recording beside them (its labels, video;
    not a copy of it) are left out. None when there are none.

    Why: a folder of AccuSleep-style table recordings was skipped without a word; then the
    note called notes.txt a "table file" and said nothing of a file without a suffix (now
    scored: `io.discover.recording_format`)."""
    from sleepscorer.io.discover import passed_over

    recordings = {(p.parent, p.stem) for p, _ in found}
    taken = {p.resolve() for p, _ in found}
    out = out.resolve()

    def companion(t: Path) -> bool:
        return any((t.parent, stem) in recordings for stem in (t.stem, t.stem.rsplit("_", 1)[0]))
    groups: dict[str, list[str]] = {}
    for arg in (a for a in paths if a.is_dir()):
        for t in sorted(arg.rglob("*") if recursive else arg.glob("*")):
            rel = t.relative_to(arg)
            if any(part.startswith(".") for part in rel.parts):
                continue
            try:
                real = t.resolve(strict=True)
            except (OSError, RuntimeError):  # a link that leads nowhere, or back to itself
                groups.setdefault("broken link", []).append(str(rel))
                continue
            if (not t.is_file()
                    or real in taken or taken & set(real.parents) or out in real.parents
                    or out == real.parent):
                continue
            if not companion(t):  # a recording, whatever its name, is among those taken
                groups.setdefault(passed_over(t), []).append(str(rel))
    parts = []
    for kind, one, several in _PASSED_OVER:
        names = groups.get(kind, [])
        if names:
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            parts.append(f"{len(names)} {one if len(names) == 1 else several} ({shown})")
    if not parts:
        return None
    todo = "; name a signal table on its own with --rate to score it" if (
        "signal table" in groups) else ""
    return ("not scored: " + ", ".join(parts) + f"; a batch scores {SCORED_KINDS}" + todo)


def batch_outputs(items: list[tuple[Path, Path]], out: Path) -> list[tuple[Path, Path]]:
    """(recording, output CSV) for a batch: the sub-folder layout is kept, and names that
    would collide (rec.edf beside rec.mat, d1/rec.edf and d2/rec.edf given as files) get
    distinct names derived from the input path."""
    from sleepscorer.io.outputs import distinct_names

    groups: dict[str, list[int]] = {}
    for i, (_, rel) in enumerate(items):
        groups.setdefault(str(rel.parent).lower(), []).append(i)
    outs: list[Path] = [Path()] * len(items)
    for indices in groups.values():
        names = distinct_names([items[i][0] for i in indices], OUTPUT_SUFFIX)
        for i, name in zip(indices, names, strict=True):
            outs[i] = out / items[i][1].parent / name
    return [(p, o) for (p, _), o in zip(items, outs, strict=True)]


def _batch_progress(done: int, total: int, path: Path) -> None:
    """The bar on a terminal; in a log, one whole line per finished recording."""
    if sys.stderr.isatty():
        live(_bar(done, total) + f" {path.name[:40]}")
    else:
        print(f"{done}/{total} {path}", file=sys.stderr, flush=True)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def _percent(fraction: float) -> str:
    return f"{100 * fraction:5.1f}%" if fraction < 0.9995 else " 100 %"


def print_summary(outcomes: list[Outcome]) -> None:
    """The table of what was scored, each row with the file written; then warnings, failures."""
    ok = [o for o in outcomes if not o.error]
    if ok:
        # every state any row has (a gated file adds Artifact), so each row sums to 100 %
        classes = list(dict.fromkeys(c for o in ok for c in (o.fractions or {})))
        width = max(9, *(len(str(o.path)) for o in ok))
        wide = {c: max(6, len(c)) for c in classes}
        header = (f"{'recording':{width}s} {'epochs':>7s} "
                  + " ".join(f"{c:>{wide[c]}s}" for c in classes)
                  + "  took s  written")  # time spent scoring, not the recording's length
        print(header)
        for o in ok:
            cells = " ".join(f"{_percent((o.fractions or {}).get(c, 0)):>{wide[c]}s}"
                             for c in classes)
            print(f"{str(o.path):{width}s} {o.epochs:7d} {cells} {o.seconds:7.1f}  {o.out}")
    again = [o for o in ok if o.replaced]
    if again:
        print(f"replaced {len(again)} earlier output file(s): "
              f"{', '.join(str(o.out) for o in again[:3])}"
              + (f" and {len(again) - 3} more" if len(again) > 3 else ""), file=sys.stderr)
    for o in ok:
        for note in o.note.splitlines():  # one line per warning
            print(f"warning: {o.path}: {note}", file=sys.stderr)
    failed = [o for o in outcomes if o.error]
    if failed:
        print(f"\n{len(failed)} of {len(outcomes)} recording(s) failed (nothing written for "
              "them):", file=sys.stderr)
        for o in failed:
            print(f"error: {o.error}", file=sys.stderr)
    print(f"wrote {len(ok)} label file(s)" + (f" into {ok[0].out.parent}" if ok and len(
        {o.out.parent for o in ok}) == 1 else ""), file=sys.stderr)


class Interrupted(KeyboardInterrupt):
    """Ctrl+C during a batch, with the outcomes of the recordings finished (and written)."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__()
        self.outcomes = outcomes


def score_batch(tasks: list[tuple], model: Path | None, device: str, jobs: int) -> list[Outcome]:
    """Outcomes in the order they finish, one per task (`_score_in_worker`'s arguments, the
    recording first); the CPU is shared out so N jobs do not oversubscribe. Ctrl+C starts no
    further recording, lets those being scored end, and raises `Interrupted` with what was
    written: a user could not tell which files in the folder came from the stopped run."""
    jobs = max(1, min(jobs, len(tasks)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    outcomes: list[Outcome] = []
    live(_bar(0, len(tasks)))
    if jobs == 1:
        _init_worker(model, device, threads)
        try:
            for task in tasks:
                outcomes.append(_score_in_worker(*task))
                _batch_progress(len(outcomes), len(tasks), task[0])
        except KeyboardInterrupt:
            end_live()
            raise Interrupted(outcomes) from None
    else:
        pool = ProcessPoolExecutor(jobs, get_context("spawn"), _init_worker,
                                   (model, device, threads))
        futures = [pool.submit(_score_in_worker, *task) for task in tasks]
        try:
            for future in as_completed(futures):
                outcomes.append(future.result())
                _batch_progress(len(outcomes), len(tasks), outcomes[-1].path)
        except KeyboardInterrupt:
            end_live()
            _stop(pool, futures, outcomes)
            raise Interrupted(outcomes) from None
        except BaseException:  # a broken pool: its workers go, as the `with` block made them
            pool.shutdown(cancel_futures=True)
            raise
        pool.shutdown()
    end_live()
    return outcomes


def _stop(pool: ProcessPoolExecutor, futures: list, outcomes: list[Outcome]) -> None:
    """Cancel what has not started; wait for the recordings being scored (their workers got
    the terminal's Ctrl+C too, or finish and write whole files) and add those written."""
    for future in futures:
        future.cancel()
    running = [f for f in futures if not f.done()]
    if running:
        print(f"stopping: waiting for {len(running)} recording(s) being scored (Ctrl+C again "
              "leaves at once)", file=sys.stderr)
    try:
        wait(running)
    except KeyboardInterrupt:
        pass
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None \
                and future.result() not in outcomes:
            outcomes.append(future.result())
    pool.shutdown(wait=False, cancel_futures=True)
