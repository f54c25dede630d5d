"""Sound output behind one small protocol, `Speaker`: speech and beeps that never block the caller.

This module holds the protocol, the beeps (sine tones made with numpy), the silent, logging and tee
speakers, and `make_speaker`, which picks the best speaker; the platform engines and the
non-blocking `AsyncSpeaker` are `speech_engines`. No dependency beyond numpy; no cv2, no mediapipe.
"""

from __future__ import annotations

import io
import shutil
import sys
import wave
from enum import Enum
from pathlib import Path
from typing import Callable, Protocol, TextIO

import numpy as np

from formcoach.errors import FormcoachError

MODES: tuple[str, ...] = ("voice", "beep", "off")

#: Speech rate, words per minute (espeak-ng's default is 175; a little slower is clearer on a
#: laptop speaker across a room, and matches the scheduler's 2.6 words/s estimate).
DEFAULT_WPM = 160
#: Queued items at or above this priority are never dropped for waiting too long (the scheduler
#: gives rep numbers, hold "done" and set end 90 and more).
KEEP_PRIORITY = 90
SAMPLE_RATE = 22050


class SpeechError(FormcoachError):
    """A speech engine or audio player failed (not installed properly, no audio device...)."""


class NoAudioDevice(SpeechError):
    """The engine runs but there is nowhere to play sound (no sound card, no audio server)."""


#: What engines print when the machine has no audio output (ALSA, PulseAudio, PipeWire).
NO_DEVICE_SIGNS = ("cannot find card", "unknown pcm", "no such device", "connection refused", "audio open error",
                   "failed to open audio")


class Beep(str, Enum):
    """The few sounds of beep-only mode."""

    REP = "rep"  # short high: one rep counted
    START = "start"  # short mid: a hold started
    DONE = "done"  # longer high: hold target reached
    SET_END = "set_end"  # two rising tones


#: Tone segments per beep: (frequency Hz, seconds); 0 Hz is a silent gap.
TONES: dict[Beep, tuple[tuple[float, float], ...]] = {
    Beep.REP: ((880.0, 0.12),),
    Beep.START: ((660.0, 0.12),),
    Beep.DONE: ((1046.5, 0.35),),
    Beep.SET_END: ((660.0, 0.15), (0.0, 0.06), (880.0, 0.30)),
}


def beep_seconds(kind: Beep) -> float:
    """How long a beep lasts, seconds."""
    return sum(s for _, s in TONES[kind])


def tone_samples(kind: Beep, volume: float = 1.0, rate: int = SAMPLE_RATE) -> np.ndarray:
    """The beep as int16 mono samples, shape (n,); 5 ms fades so it does not click."""
    parts = []
    fade = int(0.005 * rate)
    for freq, seconds in TONES[kind]:
        n = int(round(seconds * rate))
        if freq <= 0:
            parts.append(np.zeros(n))
            continue
        wave_ = np.sin(2 * np.pi * freq * np.arange(n) / rate)
        ramp = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / max(fade, 1))
        parts.append(wave_ * ramp)
    samples = np.concatenate(parts) * 0.5 * min(max(volume, 0.0), 1.0)  # 0.5: -6 dBFS at full volume
    return np.round(samples * 32767).astype(np.int16)


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A complete mono 16-bit WAV file holding `samples` (int16, shape (n,))."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


# ---- the protocol and the silent speakers -----------------------------------------------------------


class Speaker(Protocol):
    """Where utterances go. `say` and `beep` return at once; `close` ends (and drains) output.

    `speaks` is False for a beep-only speaker: the voice coach then sends beeps instead of text.
    """

    speaks: bool

    def say(self, text: str, *, priority: int = 0, t: float | None = None, beep: Beep | None = None) -> None:
        """Say `text`; `beep` is what stands in for it if speech turns out not to work."""
        ...

    def beep(self, kind: Beep, *, t: float | None = None) -> None: ...

    def close(self) -> None: ...


class NullSpeaker:
    """Makes no sound; remembers what it was asked (tests, `--no-voice`).

    Attributes:
        said: (t, text) in call order.
        beeps: (t, kind) in call order.
    """

    def __init__(self, speaks: bool = True) -> None:
        self.speaks = speaks
        self.said: list[tuple[float | None, str]] = []
        self.beeps: list[tuple[float | None, Beep]] = []

    def say(self, text: str, *, priority: int = 0, t: float | None = None, beep: Beep | None = None) -> None:
        self.said.append((t, text))

    def beep(self, kind: Beep, *, t: float | None = None) -> None:
        self.beeps.append((t, kind))

    def close(self) -> None:
        pass


def log_line(t: float | None, text: str) -> str:
    """One speech-log line: source time in seconds, two spaces, what was said."""
    return f"{t:8.2f}  {text}" if t is not None else f"{'-':>8}  {text}"


class RecordingSpeaker(NullSpeaker):
    """A `NullSpeaker` that also writes `t  text` lines (beeps as `<beep rep>`) to a file or stream.

    Each line is flushed at once, so the log survives a crash or Ctrl-C.
    """

    def __init__(self, target: Path | str | TextIO, speaks: bool = True) -> None:
        super().__init__(speaks)
        if isinstance(target, (str, Path)):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            self._stream: TextIO = open(target, "w", encoding="utf-8")
            self._owned = True
        else:
            self._stream, self._owned = target, False

    def say(self, text: str, *, priority: int = 0, t: float | None = None, beep: Beep | None = None) -> None:
        super().say(text, priority=priority, t=t)
        self._write(log_line(t, text))

    def beep(self, kind: Beep, *, t: float | None = None) -> None:
        super().beep(kind, t=t)
        self._write(log_line(t, f"<beep {kind.value}>"))

    def _write(self, line: str) -> None:
        if not self._stream.closed:
            print(line, file=self._stream, flush=True)

    def close(self) -> None:
        if self._owned and not self._stream.closed:
            self._stream.close()


class TeeSpeaker:
    """Sends everything to several speakers (e.g. the real voice and a speech log)."""

    def __init__(self, primary: Speaker, *others: Speaker) -> None:
        self.speakers = (primary, *others)
        self.speaks = primary.speaks

    def say(self, text: str, *, priority: int = 0, t: float | None = None, beep: Beep | None = None) -> None:
        for s in self.speakers:
            s.say(text, priority=priority, t=t, beep=beep)

    def beep(self, kind: Beep, *, t: float | None = None) -> None:
        for s in self.speakers:
            s.beep(kind, t=t)

    def close(self) -> None:
        for s in self.speakers:
            s.close()


def warn(message: str, stream: TextIO | None) -> None:
    """One warning line on `stream` (stderr by default)."""
    print(f"formcoach: warning: {message}", file=stream if stream is not None else sys.stderr, flush=True)


def make_speaker(
    mode: str = "voice",
    volume: float = 1.0,
    log_path: Path | str | None = None,
    *,
    wpm: int = DEFAULT_WPM,
    platform: str = sys.platform,
    which: Callable[[str], str | None] = shutil.which,
    stderr: TextIO | None = None,
) -> Speaker:
    """The speaker for a CLI run.

    Args:
        mode: "voice" (speech), "beep" (beeps only) or "off" (silent).
        volume: 0..1, a fraction of each engine's normal level.
        log_path: if given, every utterance is also written there as `t  text` lines (speech.log),
            in every mode ("off" included: the log says what would have been said).
    Returns:
        The best speaker available. When the engine for `mode` is missing it falls back to beeps,
        then to silence, with ONE warning line on `stderr` (never an exception).
    Raises:
        FormcoachError: unknown mode or volume outside 0..1 (user input).
    """
    from formcoach.speech_engines import AsyncSpeaker, find_engine, find_tone_player  # they import this module

    if mode not in MODES:
        raise FormcoachError(f"unknown voice mode {mode!r} (choose from: {', '.join(MODES)})")
    if not 0.0 <= volume <= 1.0:
        raise FormcoachError(f"volume must be between 0 and 1, got {volume:g}")
    speaker: Speaker = NullSpeaker(speaks=mode != "beep")
    if mode != "off":
        engine = find_engine(volume, wpm, platform, which) if mode == "voice" else None
        tones = find_tone_player(volume, platform, which)
        if engine is not None:
            speaker = AsyncSpeaker(engine, tones, stderr=stderr)
        elif tones is not None:
            if mode == "voice":
                hint = {"darwin": "the `say` command", "win32": "PowerShell"}.get(platform, "espeak-ng (e.g. apt install espeak-ng)")
                warn(f"no text-to-speech engine found ({hint}); beeps only", stderr)
            speaker = AsyncSpeaker(None, tones, stderr=stderr)
        else:
            warn(f"no {'text-to-speech engine and no ' if mode == 'voice' else ''}audio player found; sound off", stderr)
    if log_path is not None:
        log = RecordingSpeaker(log_path, speaks=speaker.speaks)
        return log if isinstance(speaker, NullSpeaker) else TeeSpeaker(speaker, log)
    return speaker
