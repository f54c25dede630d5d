"""Session consumers the command line plugs in: annotated video, live window, event log, workout
log, progress, and a workout's per-set consumers.

Each is a `Consumer` (`on_frame(image, result)`, `close()`); none feeds back into the analysis.
cv2 and the overlay are imported when a consumer that draws is built.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

import numpy as np

from formcoach.consumer import Consumer
from formcoach.core import CueRaised, Event, FrameResult, HoldEnded, HoldStarted, PartialRep, RepCompleted
from formcoach.errors import SourceError
from formcoach.specs import ExerciseSpec
from formcoach.workout import (
    Announced, RestStarted, SetEnded, SetStarted, SetupChanged, SetupTimedOut, WorkoutEnded, WorkoutEvent,
    WorkoutListener, WorkoutRecord, WorkoutStatus,
)

if TYPE_CHECKING:
    from formcoach.journal import Journal
    from formcoach.routine import PlannedSet
    from formcoach.sources import SourceInfo

#: Frames analysed per second below which the live screen and the report warn that counts may be wrong.
#: Real footage replayed at 15 fps (every 2nd frame of 30) is counted as at 30 (36 of 36 exact, no false
#: alarm); at 10 fps one of 36 is missed (benchmarks/realvids.py --every K). The share of frames skipped
#: says nothing by itself: a 60 fps camera analysed at 35 fps skips 42 % and loses nothing.
MIN_ANALYSED_FPS = 15.0


class AnnotatedVideo(Consumer):
    """Writes every frame with the overlay drawn to an .mp4."""

    def __init__(self, spec: ExerciseSpec, path: Path, fps: float) -> None:
        from formcoach.overlay import Overlay
        from formcoach.video_out import VideoWriter

        self.overlay, self.writer = Overlay(spec), VideoWriter(path, fps)

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        self.writer.write(self.overlay.draw(image, result), result.t)  # the source's clock: real speed

    def close(self) -> None:
        self.writer.close()


class Throughput:
    """Frames analysed per second of source time over the last `window_s`, and the share dropped.

    Args:
        fps: the source's frame rate (what a camera delivers); None = unknown (no dropped share).
    """

    def __init__(self, fps: float | None, window_s: float = 2.0) -> None:
        self.fps, self.window_s = fps, window_s
        self._t: deque[float] = deque()

    def update(self, t: float) -> None:
        self._t.append(t)
        while len(self._t) > 2 and self._t[0] < t - self.window_s:
            self._t.popleft()

    @property
    def rate(self) -> float | None:
        """Frames analysed per second, or None before enough frames."""
        if len(self._t) < 5 or self._t[-1] - self._t[0] <= 0:
            return None
        return (len(self._t) - 1) / (self._t[-1] - self._t[0])

    @property
    def dropped_share(self) -> float | None:
        rate = self.rate
        return None if rate is None or not self.fps else max(0.0, 1.0 - rate / self.fps)

    def text(self) -> str:
        rate, dropped = self.rate, self.dropped_share
        if rate is None:
            return ""
        out = f"{rate:.0f} fps analysed"
        if dropped is not None and dropped >= 0.05:
            out += f" · {dropped:.0%} dropped"
        return out


class Window(WorkoutListener):
    """Shows the overlay in a desktop window with the analysis rate; `q` or Esc stops the session."""

    def __init__(self, spec: ExerciseSpec, title: str = "formcoach", fps: float | None = None) -> None:
        from formcoach._cv2 import cv2
        from formcoach.overlay import Overlay

        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise SourceError("no display to open a window on: run with --headless")
        self._cv2, self.overlay, self.title = cv2, Overlay(spec), title
        self.throughput = Throughput(fps)

    def on_frame(self, image: np.ndarray, result: FrameResult) -> bool:
        from formcoach.overlay import draw_status

        self.throughput.update(result.t)
        frame = self.overlay.draw(image, result)
        rate = self.throughput.rate
        draw_status(frame, self.throughput.text(), warn=rate is not None and rate < MIN_ANALYSED_FPS)
        self._cv2.imshow(self.title, frame)
        key = self._cv2.waitKey(1) & 0xFF
        return key not in (ord("q"), 27)

    def on_status(self, image: np.ndarray, status: WorkoutStatus) -> bool:
        """Outside sets (workout setup and rest): the camera picture with the status as a banner."""
        self._cv2.imshow(self.title, self.overlay.draw_message(image, status.message))
        key = self._cv2.waitKey(1) & 0xFF
        return key not in (ord("q"), 27)

    def on_workout(self, event: WorkoutEvent) -> None:
        """A new set may be another exercise: draw with its spec."""
        from formcoach.overlay import Overlay

        if isinstance(event, SetStarted):
            self.overlay = Overlay(event.plan.spec)

    def close(self) -> None:
        self._cv2.destroyAllWindows()


class EventLog(Consumer):
    """Prints events as they happen, one line each (what a test or a terminal user sees)."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        self.on_events(result.events, result.t)

    def on_events(self, events: Sequence[Event], t: float | None = None) -> None:
        """One line per event, stamped with the frame that brought it (a rep-end fault's own time is
        its worst moment, earlier: the log stays in order)."""
        for ev in events:
            line = event_line(ev)
            if line:
                print(f"{ev.t if t is None else t:7.2f}s  {line}", file=self.stream, flush=True)


def event_line(ev) -> str | None:
    """One event in words, or None for events not worth a line."""
    if isinstance(ev, RepCompleted):
        return f"rep {ev.count}" + (f" (faults: {', '.join(ev.rep.faults)})" if ev.rep.faults else "")
    if isinstance(ev, PartialRep):
        return f"partial rep: {ev.message}"
    if isinstance(ev, HoldStarted):
        return f"hold started (target {ev.target_s:g} s)"
    if isinstance(ev, HoldEnded):
        return f"hold ended: {ev.hold.duration_s:.1f} s" + ("" if ev.hold.completed else f" (short: {ev.hold.broke_because})")
    if isinstance(ev, CueRaised):
        return f"cue {ev.fault.cue}: {ev.fault.message}"
    return None


class WorkoutLog(WorkoutListener):
    """Prints workout events as lines (`  12.30s  next: ...`): what a headless user or a test sees
    (set events are `EventLog`'s job)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def on_workout(self, event: WorkoutEvent) -> None:
        line = _workout_line(event)
        if line:
            print(f"{event.t:7.2f}s  {line}", file=self.stream or sys.stdout, flush=True)


def _workout_line(ev: WorkoutEvent) -> str | None:
    if isinstance(ev, Announced):
        return f"say: {ev.text}"
    if isinstance(ev, SetupChanged):
        if ev.state.problems:
            return "setup: " + "; ".join(p.message for p in ev.state.problems)
        return "setup: ready" if ev.state.ready else None
    if isinstance(ev, SetupTimedOut):
        what = ev.state.message or "not settled"
        return f"warning: setup still not right after {ev.waited_s:.0f} s ({what}); starting anyway"
    if isinstance(ev, SetStarted):
        return f"set {ev.plan.index}: {ev.plan.spec.name} {ev.plan.set_no}/{ev.plan.sets} started"
    if isinstance(ev, SetEnded):
        hold = f", longest hold {ev.longest_hold_s:.1f} s" if ev.longest_hold_s else ""
        return f"set {ev.plan.index} ended ({ev.ended_by}): {ev.reps} reps{hold}"
    if isinstance(ev, RestStarted):
        return f"rest {ev.seconds:g} s"
    if isinstance(ev, WorkoutEnded):
        return f"workout ended: {ev.ended_by}"
    return None


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


class Progress(Consumer):
    """Analysis progress on stderr: a bar with elapsed time, speed and ETA on a terminal, else a plain
    line per 10 %.

    Args:
        total: frames expected (None or 0: unknown, nothing is shown).
        tty: whether stderr is a terminal (default: ask it).
    """

    def __init__(self, total: int | None, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.count = total or 0, 0
        self.tty = self.stream.isatty() if tty is None else tty
        self.enabled = self.total > 0
        self._start = time.monotonic()
        self._last = 0.0
        self._decile = 0

    def line(self, now: float, reps: int | None) -> str:
        """'  analysing 42% [######      ] 0:07 elapsed · 61 frames/s · 0:09 left · 3 reps' (no reps: None)."""
        frac = min(self.count / self.total, 1.0)
        elapsed = now - self._start
        speed = self.count / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.count) / speed if speed > 0 else float("nan")
        eta = _clock(left) if left == left else "?"
        bar = "#" * int(frac * 24)
        return (f"  analysing {frac:4.0%} [{bar:<24}] {_clock(elapsed)} elapsed · {speed:.0f} frames/s · "
                f"{eta} left" + ("" if reps is None else f" · {reps} {'rep' if reps == 1 else 'reps'}"))

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        self.count += 1
        if not self.enabled:
            return
        now = time.monotonic()
        done = self.count >= self.total
        if self.tty:
            if now - self._last > 0.2 or done:
                self._last = now
                print("\r" + self.line(now, self._reps(result)), end="", file=self.stream, flush=True)
            return
        decile = min(int(10 * self.count / self.total), 10)
        if decile > self._decile:
            self._decile = decile
            print(self.line(now, self._reps(result)).strip(), file=self.stream, flush=True)

    @staticmethod
    def _reps(result: FrameResult) -> int | None:
        """The rep count, for exercises that count reps (a hold-only exercise has no rep phase)."""
        return result.rep_count if result.rep_phase is not None else None

    def close(self) -> None:
        if self.enabled and self.tty and self.count:
            print(file=self.stream)


def fault_thumbnails(spec: ExerciseSpec, out_dir: Path) -> list[Consumer]:
    """The thumbnail consumer: each fault pictured at its worst moment, overlay drawn."""
    from formcoach.overlay import Overlay
    from formcoach.thumbnails import FaultThumbnails

    return [FaultThumbnails(out_dir, Overlay(spec).draw_fault)]


class SetConsumers:
    """Per-set consumers of a workout, each in the set's own folder: its journal, fault thumbnails and,
    with `record_video`, its annotated video. Call it with a planned set (`make_set_consumers`)."""

    def __init__(self, out_dir: Path, info: SourceInfo, record_video: bool = False) -> None:
        self.out_dir, self.info, self.record_video = out_dir, info, record_video
        self.journals: dict[int, Journal] = {}  # set index -> its journal

    def __call__(self, p: PlannedSet) -> list[Consumer]:
        from formcoach.journal import open_session_journal
        from formcoach.outdir import make_writable_dir
        from formcoach.workout_report import set_dir_name

        folder = self.out_dir / set_dir_name(p)
        make_writable_dir(folder)
        self.journals[p.index] = open_session_journal(p.spec, folder, self.info.name, self.info.fps)
        made: list[Consumer] = [self.journals[p.index], *fault_thumbnails(p.spec, folder)]
        if self.record_video:
            made.append(AnnotatedVideo(p.spec, folder / "annotated.mp4", self.info.fps))
        return made

    def finish(self, record: WorkoutRecord) -> None:
        """Each set's journal gets its end line (a crash leaves them without)."""
        for done in record.sets:
            if done.plan.index in self.journals:
                self.journals[done.plan.index].finish(done.session)

