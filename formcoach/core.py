"""Value types that flow through the pipeline: frames, results, reps, holds, faults, events.

Small frozen dataclasses holding numbers and numpy arrays. No cv2, no mediapipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Union

import numpy as np

from formcoach.skeleton import NUM_LANDMARKS


@dataclass(frozen=True, slots=True)
class PoseFrame:
    """One pose estimate, in pixels, at source time `t`.

    Attributes:
        t: seconds, from the source clock (video timestamp or capture time).
        image_size: (width, height) in pixels.
        xy: (33, 2) pixel coordinates; NaN where a landmark is missing or poorly visible.
        world: (33, 3) metres, hip-centred (MediaPipe world landmarks); NaN where missing.
        visibility: (33,) 0..1.
        mask: (H, W) float32 person probability 0..1, or None when segmentation is off.
    """

    t: float
    image_size: tuple[int, int]
    xy: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.xy.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"PoseFrame.xy must be ({NUM_LANDMARKS}, 2), got {self.xy.shape}")
        if self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"PoseFrame.world must be ({NUM_LANDMARKS}, 3), got {self.world.shape}")
        if self.visibility.shape != (NUM_LANDMARKS,):
            raise ValueError(f"PoseFrame.visibility must be ({NUM_LANDMARKS},), got {self.visibility.shape}")


class Choice(str, Enum):
    """A fixed set of names that is also its YAML/JSON text: `View.SIDE == "side"`, f"{View.SIDE}" is "side"."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)


class View(Choice):
    """Which way the camera sees the person."""

    SIDE = "side"
    FRONT = "front"
    OBLIQUE = "oblique"


class Side(Choice):
    """A body side; for `side: auto` metrics, the one nearer the camera."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def opposite(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


class Severity(str, Enum):
    """How much a cue matters; voice and overlay rank by it."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class RepPhase(str, Enum):
    """Where the rep state machine is. `START` is the rest zone between reps."""

    START = "start"
    ECCENTRIC = "eccentric"  # left the start zone, heading for the target
    TARGET = "target"  # in the target zone (bottom of a squat, top of a pull-up)
    CONCENTRIC = "concentric"  # left the target, returning to the start


@dataclass(frozen=True, slots=True)
class Tempo:
    """Seconds spent in each phase of one rep."""

    down_s: float
    pause_s: float
    up_s: float


@dataclass(frozen=True, slots=True)
class Rep:
    """One full (or partial) repetition.

    `min`/`max` are the extremes of the rep metric over the rep (its range of motion);
    `bottom_s` is when the target zone was first reached (or the deepest point of a partial).
    """

    index: int
    start_s: float
    end_s: float
    bottom_s: float
    min: float
    max: float
    tempo: Tempo
    faults: tuple[str, ...] = ()
    partial_cue: str | None = None  # set on partial reps: why it did not count
    unseen_s: float = 0.0  # seconds of the rep the person was not seen (e.g. a lockout hidden by the plates)
    too_close: tuple[str, ...] = ()  # rules this rep was too close to call on (`CueUndecided`)


@dataclass(frozen=True, slots=True)
class Hold:
    """One held position. `completed` = lasted at least `target_s`."""

    index: int
    start_s: float
    end_s: float
    target_s: float
    broke_because: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def completed(self) -> bool:
        return self.duration_s >= self.target_s - 1e-9


@dataclass(frozen=True, slots=True)
class Fault:
    """A form fault seen once in a rep, a hold or an episode."""

    cue: str
    message: str
    t_s: float
    value: float
    severity: Severity
    rep: int | None = None  # the counted rep it belongs to; None while its attempt is still going (see `attempt`)
    hold: int | None = None
    spoken: str = ""  # what the voice says for it (short form, <= 2 s); empty: the message
    attempt: int | None = None  # serial number of the rep attempt it was seen in (partials included)


#: A cue not judged for this long in a set (in total) is told to the user: a set with no fault raised is then
#: "no faults seen, but not every check could be made", not "clean" (a brief occlusion does not count).
UNCHECKED_MIN_S = 1.0


#: Why a rep whose value fell in a rule's unsure band (`CueSpec.unsure_from`) was not judged.
TOO_CLOSE_TO_CALL = "too close to call on some reps: good and faulty form both measure like this"


@dataclass(frozen=True, slots=True)
class NotJudged:
    """Time during which a cue could not be judged, and why."""

    cue: str
    reason: str
    seconds: float


# ---- events: what consumers (overlay, voice, report) react to ---------------------------------


@dataclass(frozen=True, slots=True)
class RepCompleted:
    """A rep counted; `rep.faults` lists the cues raised in its attempt (the evaluator attaches them now)."""

    t: float
    rep: Rep
    count: int  # reps counted so far, this one included
    attempt: int = 0  # the attempt that became this rep: its faults (`Fault.attempt`) belong to it


@dataclass(frozen=True, slots=True)
class PartialRep:
    """An attempt that did not count, with the fault that says why (its only report: no `CueRaised` too)."""

    t: float
    rep: Rep
    fault: Fault

    @property
    def cue(self) -> str:
        return self.fault.cue

    @property
    def message(self) -> str:
        return self.fault.message


@dataclass(frozen=True, slots=True)
class HoldStarted:
    t: float
    start_s: float
    target_s: float


@dataclass(frozen=True, slots=True)
class HoldEnded:
    """A hold over; `fault` is its "hold longer" fault when the person broke it short (no `CueRaised` too)."""

    t: float
    hold: Hold
    fault: Fault | None = None


@dataclass(frozen=True, slots=True)
class CueRaised:
    t: float
    fault: Fault


@dataclass(frozen=True, slots=True)
class CueCleared:
    """A fault that was being raised is no longer seen (for praise and banner clearing)."""

    t: float
    cue: str


@dataclass(frozen=True, slots=True)
class CueUndecided:
    """A whole-rep rule whose value fell where good and faulty form both measure (`CueSpec.unsure_from`):
    not called either way, and the rep's `seconds` count as not judged, with `reason`."""

    t: float
    cue: str
    rep: int
    value: float
    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class PoseLost:
    t: float


@dataclass(frozen=True, slots=True)
class PoseFound:
    t: float


Event = Union[RepCompleted, PartialRep, HoldStarted, HoldEnded, CueRaised, CueCleared, CueUndecided, PoseLost, PoseFound]


def fault_of(event: Event) -> Fault | None:
    """The fault an event reports, if any: each fault is carried by exactly one event (a cue raised,
    a partial rep, a hold broken short), so listing these in event order lists the session's faults."""
    return event.fault if isinstance(event, (CueRaised, PartialRep, HoldEnded)) else None


@dataclass(frozen=True, slots=True)
class ActiveCue:
    """A cue currently violated, for the overlay banner."""

    cue: str
    message: str
    severity: Severity
    value: float


@dataclass(frozen=True, slots=True)
class FrameResult:
    """Everything the analysis knows after one frame; consumers draw/speak/record from it."""

    t: float
    pose: PoseFrame | None
    metrics: Mapping[str, float]
    rep_count: int
    rep_phase: RepPhase | None
    hold_elapsed_s: float | None
    hold_target_s: float | None
    active_cues: tuple[ActiveCue, ...]
    not_judged: Mapping[str, str]  # cue id -> reason, for cues that cannot be judged now
    view: View | None
    side: Side | None
    events: tuple[Event, ...] = field(default_factory=tuple)
    rep_value: float = float("nan")  # what the rep counter saw (the rep metric, or its fallback in its units)
    hold_settling: bool = False  # in the hold's posture, not yet still: its timer waits (HoldRule.still_within)
    on_far_side: frozenset[str] = frozenset()  # metrics measured on the far side this frame (near joints unseen)
