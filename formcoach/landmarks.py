"""Landmark tracks: the pose model's output for a whole clip, saved once and replayed many times.

A `LandmarkTrack` holds what the analysis consumes (per-frame time, pixel landmarks, world
landmarks, visibility and, when recorded, a downsampled segmentation mask). `cached_track` runs
MediaPipe once per (file content, model version, pose options) and keeps the result in a cache
folder; `ReplayPose` (in `pose.py`) plays a track back through the same session code.
Imports neither cv2 nor mediapipe at module level.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from formcoach.core import PoseFrame
from formcoach.errors import PoseError
from formcoach.skeleton import NUM_LANDMARKS

#: Bumped whenever the file layout or what is recorded changes; part of every cache key.
TRACK_FORMAT = 2
#: `LandmarkTrack.looks` on a frame where the rest of the picture was not looked at.
NO_LOOK = -1
#: Longest side of a stored segmentation mask, pixels. The back outline is judged on the mask;
#: 256 px keeps a torso ~100 px long on a full-body clip.
MASK_LONG_SIDE = 256
#: Longest side of the picture the pose model is given, pixels: larger frames are shrunk first
#: (landmarks and mask come back in the source's pixels). The model looks at a 256 px crop of the
#: person, so a 4K phone clip's pixels only cost time: 114 -> 49 ms per frame (mediapipe 0.10.21 with
#: segmentation, this 2-core machine; benchmarks/speed.py). 1920 keeps every frame the real footage
#: was checked on (up to 1080p) as filmed: shrinking 1080p to 960 or 1280 px saved 20-40 % but lost
#: the lifter on more frames where plates hide the body (shared realvids mv_bad_04/07: 89 -> 81 %,
#: 71 -> 66 % detected), and at 1280 one such single was no longer counted.
MODEL_INPUT_SIDE = 1920
#: Smallest `max_input_side` accepted: the model's own input is 256 px.
MIN_INPUT_SIDE = 256


@dataclass(frozen=True, slots=True)
class PoseOptions:
    """Settings of the pose model that change its output (and so the cache key)."""

    model_complexity: int = 1
    segmentation: bool = False
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    #: "auto", "legacy" or "tasks" (formcoach.pose.resolve_backend); the key names it unless legacy.
    backend: str = "auto"
    #: Frames with a longer side are shrunk to it before the model sees them (None: as filmed).
    max_input_side: int | None = MODEL_INPUT_SIDE
    #: Keep the model on the largest person in the picture (formcoach.subject.SubjectPicker).
    follow_largest: bool = True

    def __post_init__(self) -> None:
        if self.model_complexity not in (0, 1, 2):
            raise ValueError(f"model_complexity must be 0, 1 or 2, got {self.model_complexity}")
        if self.max_input_side is not None and self.max_input_side < MIN_INPUT_SIDE:
            raise ValueError(f"max_input_side must be at least {MIN_INPUT_SIDE} pixels or None, got {self.max_input_side}")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


def model_version() -> str:
    """The installed pose model's version (mediapipe's), without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"mediapipe-{version('mediapipe')}"
    except PackageNotFoundError:
        return "mediapipe-absent"


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex, first 16 characters)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()[:16]


def cache_key(path: str | Path, options: PoseOptions, model: str | None = None) -> str:
    """Key of a clip's track: content hash + model version + pose options + track format."""
    from formcoach.pose import resolve_backend

    fields = asdict(options)
    backend = resolve_backend(fields.pop("backend"))
    if backend != "legacy":  # a legacy key stays the one written before there was a choice (caches stay valid)
        fields["backend"] = backend
    # Not named: the picker changes a track only where someone clearly larger than the followed person
    # is in the picture, which no cached clip had (every shared real clip and render: the same track).
    fields.pop("follow_largest")
    side = fields.pop("max_input_side")
    if side is not None and video_long_side(path) > side:  # named only where it changed what the model saw
        fields["max_input_side"] = side
    settings = json.dumps({"model": model or model_version(), "format": TRACK_FORMAT, **fields}, sort_keys=True)
    return f"{file_digest(path)}-{hashlib.sha256(settings.encode()).hexdigest()[:10]}"


def video_long_side(path: str | Path) -> int:
    """The longer side of a video's frames as its container states them, pixels (0 when unreadable)."""
    from formcoach._cv2 import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return int(max(cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) if cap.isOpened() else 0
    finally:
        cap.release()


@dataclass
class LandmarkTrack:
    """Per-frame pose output of one clip. Frames without a person are all-NaN with visibility 0.

    Attributes:
        t: (N,) seconds, source clock.
        xy: (N, 33, 2) pixels. world: (N, 33, 3) metres. visibility: (N, 33) 0..1.
        image_size: (width, height) of the source frames.
        masks: (N, h, w) uint8 person probability x 255 at reduced size, or None.
        key: the cache key it was recorded under ("" when not from a cache).
        moved: (N,) bool, the frames where the model was moved to a larger person
            (`formcoach.subject`), or None when it never was.
        looks: (N,) int8, what the look at the rest of the picture found on each frame (`SubjectPicker.saw_someone_else`):
            `NO_LOOK`, 0 nobody, 1 someone else; None when no look was recorded.
    """

    t: np.ndarray
    xy: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    image_size: tuple[int, int]
    masks: np.ndarray | None = None
    key: str = ""
    fps: float = 30.0
    moved: np.ndarray | None = None
    looks: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.t)

    @property
    def detected(self) -> np.ndarray:
        """(N,) bool: a person was found in the frame."""
        return np.isfinite(self.xy).any(axis=(1, 2))

    def frame(self, i: int, with_mask: bool = True, t: float | None = None) -> PoseFrame | None:
        """Frame `i` as a PoseFrame at time `t` (default: the track's); None where nobody was detected.

        The mask is resized back up to the image, unless it was stored at the image's size. Per frame
        only frame `i` is looked at (`detected` checks every frame: replay asked it once per frame).
        """
        xy = self.xy[i]
        if not np.isfinite(xy).any():  # == self.detected[i]
            return None
        mask = None
        if with_mask and self.masks is not None:
            mask = self.masks[i].astype(np.float32) / 255.0
            if mask.shape[::-1] != self.image_size:  # same size: cv2.resize would only copy it
                from formcoach._cv2 import cv2  # lazy: only mask replay needs it

                mask = cv2.resize(mask, self.image_size, interpolation=cv2.INTER_LINEAR)
        return PoseFrame(
            t=float(self.t[i]) if t is None else t, image_size=self.image_size, xy=xy.astype(np.float64),
            world=self.world[i].astype(np.float64), visibility=self.visibility[i].astype(np.float64), mask=mask,
        )

    def save(self, path: str | Path, compact: bool = False, binary_masks: bool = False) -> None:
        """Write a compressed .npz (float16 landmarks when `compact`; pixels are kept to ~0.5 px).

        `binary_masks` stores each mask as the person/background decision at 0.5, one bit per
        pixel: exact for the analysis (the back outline is traced at that threshold) and ~10x
        smaller, which is what lets full-resolution masks be committed for the samples.
        """
        dtype = np.float16 if compact else np.float32
        width, height = self.image_size
        arrays = {
            "t": self.t.astype(np.float64),
            # normalised to 0..1 before float16 so precision does not depend on the frame size
            "xy_norm": (self.xy / np.array([width, height])).astype(dtype),
            "world": self.world.astype(dtype),
            "visibility": self.visibility.astype(np.float16 if compact else np.float32),
            "image_size": np.array(self.image_size),
            "meta": np.array(json.dumps({"key": self.key, "fps": self.fps, "format": TRACK_FORMAT})),
        }
        if self.moved is not None and self.moved.any():
            arrays["moved"] = self.moved.astype(bool)
        if self.looks is not None and (self.looks != NO_LOOK).any():
            arrays["looks"] = self.looks.astype(np.int8)
        if self.masks is not None and binary_masks:
            arrays["mask_bits"] = np.packbits(self.masks >= 128, axis=-1)  # uint8 128 <=> probability 0.5
            arrays["mask_shape"] = np.array(self.masks.shape)
        elif self.masks is not None:
            arrays["masks"] = self.masks
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> LandmarkTrack:
        """Read a track written by `save`; a PoseError names the file when it is not one."""
        try:
            with np.load(path, allow_pickle=False) as data:
                size = tuple(int(v) for v in data["image_size"])
                meta = json.loads(str(data["meta"])) if "meta" in data else {}
                xy = data["xy_norm"].astype(np.float64) * np.array(size) if "xy_norm" in data else data["xy"].astype(np.float64)
                masks = data["masks"] if "masks" in data else None
                if "mask_bits" in data:
                    shape = tuple(int(v) for v in data["mask_shape"])
                    masks = np.unpackbits(data["mask_bits"], axis=-1, count=shape[-1]) * np.uint8(255)
                track = cls(
                    t=data["t"].astype(np.float64), xy=xy, world=data["world"].astype(np.float64),
                    visibility=data["visibility"].astype(np.float64), image_size=(size[0], size[1]), masks=masks,
                    key=str(meta.get("key", "")), fps=float(meta.get("fps", 30.0)),
                    moved=data["moved"].astype(bool) if "moved" in data else None,
                    looks=data["looks"].astype(np.int8) if "looks" in data else None,
                )
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise PoseError(f"{path}: not a formcoach landmarks file ({exc})") from None
        n = len(track.t)
        if track.xy.shape != (n, NUM_LANDMARKS, 2) or track.world.shape != (n, NUM_LANDMARKS, 3):
            raise PoseError(f"{path}: not a formcoach landmarks file (arrays of the wrong shape)")
        return track

    def every(self, step: int) -> LandmarkTrack:
        """Every `step`-th frame at its own time: the clip as a camera at 1/step of its frame rate saw it."""
        if step < 1:
            raise ValueError(f"every: step must be 1 or more, got {step}")
        moved = None
        if self.moved is not None:  # a move on a dropped frame shows on the next frame kept
            kept = np.cumsum(self.moved)[::step]
            moved = np.diff(kept, prepend=0) > 0
        looks = None
        if self.looks is not None:  # a look on a dropped frame shows on the next frame kept (someone: if any found)
            looks = np.full(len(self.t[::step]), NO_LOOK, np.int8)
            for j, i in enumerate(range(0, len(self.t), step)):
                since = self.looks[max(i - step + 1, 0):i + 1]
                looks[j] = since.max() if j else self.looks[0]
        return LandmarkTrack(
            t=self.t[::step], xy=self.xy[::step], world=self.world[::step], visibility=self.visibility[::step],
            image_size=self.image_size, masks=None if self.masks is None else self.masks[::step], key=self.key,
            fps=self.fps / step, moved=moved, looks=looks,
        )


class TrackBuilder:
    """Collects raw pose frames as a session runs, then builds a `LandmarkTrack`."""

    def __init__(self, fps: float = 30.0, record_masks: bool = False, mask_long_side: int | None = MASK_LONG_SIDE) -> None:
        self.fps = fps
        self.record_masks = record_masks
        self.mask_long_side = mask_long_side  # None: keep masks at the frame's size
        self._t: list[float] = []
        self._xy: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._vis: list[np.ndarray] = []
        self._masks: list[np.ndarray] = []
        self._moved: list[bool] = []
        self._looks: list[int] = []
        self._size: tuple[int, int] = (0, 0)

    def add(self, t: float, frame: PoseFrame | None, image_size: tuple[int, int], moved: bool = False,
            saw_someone_else: bool | None = None) -> None:
        """One frame's pose (None: nobody found); `moved`: the model was moved to a larger person here;
        `saw_someone_else`: what a look at the rest of the picture found here (None: no look)."""
        self._size = image_size
        self._t.append(t)
        self._moved.append(moved)
        self._looks.append(NO_LOOK if saw_someone_else is None else int(saw_someone_else))
        if frame is None:
            self._xy.append(np.full((NUM_LANDMARKS, 2), np.nan, np.float32))
            self._world.append(np.full((NUM_LANDMARKS, 3), np.nan, np.float32))
            self._vis.append(np.zeros(NUM_LANDMARKS, np.float32))
        else:
            self._xy.append(frame.xy.astype(np.float32))
            self._world.append(frame.world.astype(np.float32))
            self._vis.append(frame.visibility.astype(np.float32))
        if self.record_masks:
            self._masks.append(_small_mask(frame.mask if frame is not None else None, image_size, self.mask_long_side))

    def build(self, key: str = "") -> LandmarkTrack:
        n = len(self._t)
        return LandmarkTrack(
            t=np.array(self._t, dtype=np.float64),
            xy=np.array(self._xy, dtype=np.float32).reshape(n, NUM_LANDMARKS, 2),
            world=np.array(self._world, dtype=np.float32).reshape(n, NUM_LANDMARKS, 3),
            visibility=np.array(self._vis, dtype=np.float32).reshape(n, NUM_LANDMARKS),
            image_size=self._size,
            masks=np.array(self._masks, dtype=np.uint8) if self.record_masks and self._masks else None,
            key=key, fps=self.fps, moved=np.array(self._moved, dtype=bool) if any(self._moved) else None,
            looks=np.array(self._looks, dtype=np.int8) if any(v != NO_LOOK for v in self._looks) else None,
        )

    def save(self, path: str | Path) -> None:
        """Write what was recorded so far (e.g. `analyze --save-landmarks`)."""
        self.build().save(path)


def mask_size(image_size: tuple[int, int], long_side: int | None = MASK_LONG_SIDE) -> tuple[int, int]:
    """(width, height) of a stored mask: the image scaled to `long_side` (None: full size)."""
    width, height = image_size
    scale = min(1.0, (long_side or max(width, height, 1)) / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _small_mask(mask: np.ndarray | None, image_size: tuple[int, int], long_side: int | None = MASK_LONG_SIDE) -> np.ndarray:
    w, h = mask_size(image_size, long_side)
    if mask is None:
        return np.zeros((h, w), np.uint8)
    small: np.ndarray = mask.astype(np.float32)
    if small.shape[:2] != (h, w):
        from formcoach._cv2 import cv2

        small = cv2.resize(small, (w, h), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)


def record_track(
    path: str | Path, options: PoseOptions = PoseOptions(), key: str = "", mask_long_side: int | None = MASK_LONG_SIDE
) -> LandmarkTrack:
    """Run the pose model over every frame of a video file and return its track."""
    from formcoach.pose import pose_from_options
    from formcoach.sources import VideoFileSource

    source = VideoFileSource(path)
    builder = TrackBuilder(fps=source.info.fps, record_masks=options.segmentation, mask_long_side=mask_long_side)
    try:
        with contextlib.closing(pose_from_options(options)) as estimator:
            for image, t in source:
                pose = estimator.estimate(image, t)
                builder.add(t, pose, (image.shape[1], image.shape[0]), getattr(estimator, "moved", False),
                            getattr(estimator, "saw_someone_else", None))
    finally:
        source.close()
    return builder.build(key)


def cached_track(path: str | Path, options: PoseOptions, cache_dir: str | Path) -> LandmarkTrack:
    """The clip's track from `cache_dir`, recorded with the real model first when absent or stale."""
    from formcoach.pose import resolve_backend

    if (backend := resolve_backend(options.backend)) != "legacy":  # a folder of its own: never replaces a legacy track
        cache_dir = Path(cache_dir) / backend
    key = cache_key(path, options)
    target = Path(cache_dir) / f"{Path(path).stem}.{key}.npz"
    if target.exists():
        return LandmarkTrack.load(target)
    for stale in Path(cache_dir).glob(f"{Path(path).stem}.*.npz"):
        stale.unlink()
    track = record_track(path, options, key)
    track.save(target)
    return track


def replay_frames(track: LandmarkTrack) -> Iterator[tuple[None, float]]:
    """(image, t) pairs for `run_session` when there is no video: no image, the track's times."""
    for t in track.t:
        yield None, float(t)
