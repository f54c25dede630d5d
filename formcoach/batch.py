"""Many videos at once: one analysis per video in a process pool (or on Ray), and an index page.

Each video runs the very command a single `formcoach analyze` runs (given to `run_batch` as a
picklable `analyze(argv) -> exit code`), in its own process with its own pose model, into its own
folder. A bad video fails alone: it is reported and the rest go on. Imports neither cv2 nor
mediapipe (the workers do).
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from formcoach.errors import SourceError

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
INDEX_NAME = "index.html"

AnalyzeFn = Callable[[Sequence[str]], int]


@dataclass(frozen=True, slots=True)
class BatchJob:
    """One video to analyse: its exercise (None: unknown, the job fails saying so) and its folder."""

    video: str
    exercise: str | None
    out_dir: str
    argv: tuple[str, ...]  # the `formcoach ...` arguments that analyse it


@dataclass(frozen=True, slots=True)
class JobResult:
    """What one video gave: an exit code, the error line if any, and the report's headline numbers."""

    video: str
    exercise: str | None
    out_dir: str
    exit_code: int
    error: str
    seconds: float
    reps: int = 0
    holds: int = 0
    faults: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders as their video files (sorted, not recursive); missing paths kept (they fail)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            videos = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
            if not videos:
                raise SourceError(f"{path}: folder holds no video files ({', '.join(VIDEO_SUFFIXES)})")
            found += videos
        else:
            found.append(path)
    return found


def is_batch(paths: Sequence[str]) -> bool:
    """More than one input, or a folder."""
    return len(paths) > 1 or any(Path(p).is_dir() for p in paths)


def guess_exercise(video: Path, catalog_ids: Iterable[str]) -> str | None:
    """The exercise of a video without `--exercise`: its sidecar's `exercise` (VIDEO.json), else the
    longest catalog id its file name starts with (`wall_squat_good.mp4` -> wall_squat)."""
    ids = set(catalog_ids)
    sidecar = video.with_suffix(".json")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        named = json.loads(sidecar.read_text(encoding="utf-8")).get("exercise")
        if named in ids:
            return named
    stem = video.stem.lower()
    matches = [i for i in ids if stem == i or stem.startswith(f"{i}_") or stem.startswith(f"{i}-")]
    return max(matches, key=len) if matches else None


def plan_jobs(videos: Sequence[Path], root: Path, exercise: str | None, catalog_ids: Iterable[str],
              common: Sequence[str] = (), analyze_opts: Sequence[str] = (), landmarks: Path | None = None) -> list[BatchJob]:
    """One job per video, each into `root/<file name>` (`-2`, `-3`... when two videos share a name).

    Args:
        common: options before the subcommand (e.g. `--specs DIR`).
        analyze_opts: options of `analyze` given to every video (e.g. `--level`, `--no-video`).
        landmarks: a folder of recorded landmarks, `<video name>.npz` per video (as `sample_videos/landmarks/`):
            each video replays its file instead of running the pose model (a missing one fails that video alone).
    """
    ids = list(catalog_ids)
    jobs, used = [], set()
    for video in videos:
        name, n = video.stem, 2
        while name in used:
            name, n = f"{video.stem}-{n}", n + 1
        used.add(name)
        ex = exercise or guess_exercise(video, ids)
        out = root / name
        replay = ("--landmarks", str(landmarks / f"{video.stem}.npz")) if landmarks is not None else ()
        argv = (*common, "analyze", str(video), "--exercise", ex or "", "--out", str(out), "--quiet", *replay, *analyze_opts)
        jobs.append(BatchJob(str(video), ex, str(out), argv))
    return jobs


def run_job(job: BatchJob, analyze: AnalyzeFn) -> JobResult:
    """Analyse one video in this process; never raises for a bad video (the result says why)."""
    start = time.perf_counter()
    if not Path(job.video).is_file():
        return JobResult(job.video, job.exercise, job.out_dir, 2, f"{job.video}: video file not found", 0.0)
    if job.exercise is None:
        return JobResult(job.video, None, job.out_dir, 2, "cannot tell the exercise from the file name: pass --exercise", 0.0)
    err, crash = io.StringIO(), ""
    try:
        with _native_stderr_muted(), contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = analyze(list(job.argv))
    except SystemExit as exc:  # argparse refused the arguments (its message is in `err`)
        code = exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # a crash in one video must not end the batch; it is reported as that video's failure
        code, crash = 1, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    errors = [ln.removeprefix("formcoach: error: ") for ln in err.getvalue().splitlines() if ln.startswith("formcoach: error: ")]
    errors += [crash] if crash else []
    counts = _report_counts(Path(job.out_dir) / "report.json") if code == 0 else {}
    return JobResult(job.video, job.exercise, job.out_dir, code, errors[-1] if errors else ("" if code == 0 else f"exit {code}"),
                     seconds, **counts)


@contextlib.contextmanager
def _native_stderr_muted() -> Iterator[None]:
    """TFLite and absl print start-up chatter straight to fd 2 in every worker: mute it for the job
    (formcoach's own error lines go through `sys.stderr`, which `run_job` captures)."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (e.g. a GUI-less Windows process): nothing to mute
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _report_counts(path: Path) -> dict[str, int]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {"reps": int(doc.get("rep_count") or 0), "holds": len(doc.get("holds") or ()), "faults": len(doc.get("faults") or ())}


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def run_pool(jobs: Sequence[BatchJob], analyze: AnalyzeFn, workers: int) -> Iterator[JobResult]:
    """Results as they finish. One worker: in this process (no pool); else a spawn process pool."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield run_job(job, analyze)
        return
    import multiprocessing

    # spawn, not fork: the workers load TFLite and OpenCV themselves, with no threads copied mid-state.
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: set[Future] = {pool.submit(run_job, job, analyze) for job in jobs}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)


def run_batch(jobs: Sequence[BatchJob], analyze: AnalyzeFn, root: Path, workers: int,
              ray: str | None = None) -> list[JobResult]:
    """Run every job (a process pool of `workers`, or Ray when `ray` is given: "" = a local Ray,
    else its address), printing a line as each finishes, then the total; writes the index page.
    Returns the results in the jobs' order."""
    how = (f"Ray at {ray}" if ray else "local Ray") if ray is not None else f"{min(workers, len(jobs))} jobs"
    print(f"formcoach analyze: {len(jobs)} videos into {root} ({how})", flush=True)
    start = time.perf_counter()
    results = run_ray(jobs, analyze, ray or None) if ray is not None else run_pool(jobs, analyze, workers)
    by_dir = {}
    for result in results:
        by_dir[result.out_dir] = result
        print(f"  {progress_line(len(by_dir), len(jobs), result)}", flush=True)
    ordered = [by_dir[j.out_dir] for j in jobs]
    total = total_line(ordered, time.perf_counter() - start, how)
    index = write_index(ordered, root, total)
    print(total)
    print(f"  index: {index}", flush=True)
    return ordered


def run_ray(jobs: Sequence[BatchJob], analyze: AnalyzeFn, address: str | None) -> Iterator[JobResult]:
    """Results as they finish, one Ray task per video (each worker builds its own pose model).

    Args:
        address: a running cluster (`ray://host:10001` or `host:6379`); None starts a local one.
    """
    try:
        import ray
    except ImportError:
        raise SourceError("--ray needs Ray: pip install 'formcoach[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(run_job)
        pending = [task.remote(job, analyze) for job in jobs]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield from ray.get(done)
    finally:
        if started:
            ray.shutdown()


def progress_line(done: int, total: int, r: JobResult) -> str:
    """`[3/68] wall_squat_good.mp4  wall_squat  3 reps, 3 holds, 0 faults  12.3 s` (or FAILED: why)."""
    head = f"[{done}/{total}] {Path(r.video).name}  {r.exercise or '?'}"
    if not r.ok:
        return f"{head}  FAILED: {r.error}"
    return f"{head}  {r.reps} reps, {r.holds} holds, {r.faults} faults  {r.seconds:.1f} s"


def total_line(results: Sequence[JobResult], seconds: float, workers: str) -> str:
    failed = sum(not r.ok for r in results)
    return (f"{len(results)} videos: {len(results) - failed} ok, {failed} failed, "
            f"{seconds:.1f} s wall time ({workers})")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>formcoach: {count} videos</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ text-align: left; padding: .35em .7em; border-bottom: 1px solid #ddd; }}
td.n {{ text-align: right; white-space: nowrap; }} tr.failed td {{ color: #a00; }}
</style></head><body>
<h1>formcoach: {count} videos</h1>
<p>{summary}</p>
<table><thead><tr><th>video</th><th>exercise</th><th>reps</th><th>holds</th><th>faults</th><th>time</th><th>report</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""


def write_index(results: Sequence[JobResult], root: Path, summary: str) -> Path:
    """`root/index.html`: one row per video (in input order) linking its report and video, or why it failed."""
    rows = []
    for r in results:
        folder = Path(r.out_dir)
        rel = os.path.relpath(folder, root)
        esc = html.escape
        if r.ok:
            links = f'<a href="{esc(rel)}/report.html">report</a>'
            if (folder / "annotated.mp4").is_file():
                links += f' · <a href="{esc(rel)}/annotated.mp4">video</a>'
            cells = f'<td class="n">{r.reps}</td><td class="n">{r.holds}</td><td class="n">{r.faults}</td>'
        else:
            links = f"failed: {esc(r.error)}"
            cells = '<td class="n">–</td>' * 3
        rows.append(f'<tr class="{"ok" if r.ok else "failed"}"><td>{esc(Path(r.video).name)}</td><td>{esc(r.exercise or "?")}</td>'
                    f'{cells}<td class="n">{r.seconds:.1f} s</td><td>{links}</td></tr>')
    root.mkdir(parents=True, exist_ok=True)
    path = root / INDEX_NAME
    tmp = path.with_name(f".{INDEX_NAME}.tmp")
    tmp.write_text(_PAGE.format(count=len(results), summary=html.escape(summary), rows="\n".join(rows)), encoding="utf-8")
    os.replace(tmp, path)
    return path
