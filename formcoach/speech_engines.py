"""Sound through the platform's own engines: blocking text-to-speech engines and tone players, and
`AsyncSpeaker`, which plays them from one worker thread and a bounded queue so the caller never waits.

Speech runs the platform's offline engine in a subprocess — `espeak-ng`/`espeak` on Linux, `say`
on macOS, PowerShell `System.Speech` on Windows. The `Speaker` protocol, beeps and the silent and
logging speakers are `speech`. No cv2, no mediapipe. See docs/voice.md for the engine choice.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, TextIO

from formcoach.speech import (
    DEFAULT_WPM, KEEP_PRIORITY, NO_DEVICE_SIGNS, Beep, NoAudioDevice, SpeechError, tone_samples, warn, wav_bytes,
)


# ---- blocking engines and tone players (run on the worker thread only) -------------------------------


class Engine(Protocol):
    """A text-to-speech engine. `speak` blocks until the text has been spoken."""

    name: str

    def speak(self, text: str) -> None: ...

    def stop(self) -> None: ...


class TonePlayer(Protocol):
    """Plays a beep; `play` blocks until it has been played."""

    name: str

    def play(self, kind: Beep) -> None: ...

    def stop(self) -> None: ...


def espeak_argv(exe: str, volume: float, wpm: int = DEFAULT_WPM) -> list[str]:
    """espeak-ng / espeak command reading the text from stdin (no quoting problems).

    `-a` is the amplitude, 0..200 with 100 the engine's normal level: volume 1.0 maps to 100.
    """
    return [exe, "-s", str(int(wpm)), "-a", str(int(round(100 * volume))), "--stdin"]


def say_argv(exe: str, wpm: int = DEFAULT_WPM) -> list[str]:
    """macOS `say` command reading the text from stdin (volume goes into the text, see `say_text`)."""
    return [exe, "-r", str(int(wpm))]


def say_text(text: str, volume: float) -> str:
    """macOS `say` has no volume flag; its embedded `[[volm x]]` command sets 0..1."""
    return f"[[volm {volume:.2f}]] {text}"


def powershell_script(volume: float) -> str:
    """A PowerShell loop that speaks each stdin line with System.Speech and answers '.' when done."""
    return (
        "[Console]::InputEncoding = [Text.Encoding]::UTF8; "
        "Add-Type -AssemblyName System.Speech; "
        "$s = New-Object System.Speech.Synthesis.SpeechSynthesizer; "
        f"$s.Volume = {int(round(100 * volume))}; "
        "while ($null -ne ($l = [Console]::In.ReadLine())) "
        "{ if ($l.Length -gt 0) { $s.Speak($l) }; [Console]::Out.WriteLine('.'); [Console]::Out.Flush() }"
    )


class CommandEngine:
    """Speaks by running one command per utterance, the text on its stdin (espeak-ng, say)."""

    def __init__(self, name: str, argv: list[str], transform: Callable[[str], str] = lambda s: s) -> None:
        self.name, self.argv, self.transform = name, argv, transform
        self._proc: subprocess.Popen | None = None

    def speak(self, text: str) -> None:
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, encoding="utf-8")
        except OSError as exc:
            raise SpeechError(f"{self.name}: {exc}") from exc
        self._proc = proc
        _, err = proc.communicate(self.transform(text))
        self._proc = None
        # espeak-ng exits 0 even when it cannot open an audio device; it says so on stderr (ALSA chatter
        # ending in a bare "error: No such file or directory").
        if err and any(sign in err.lower() for sign in NO_DEVICE_SIGNS):
            raise NoAudioDevice(f"{self.name}: no audio output device ({_last_line(err)})")
        if proc.returncode != 0 or (err and "error" in err.lower()):
            raise SpeechError(f"{self.name} failed (exit {proc.returncode}): {_last_line(err)}")

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()


class PowerShellEngine:
    """Windows: one long-lived PowerShell running System.Speech (starting PowerShell takes ~1 s,
    too slow to pay per rep number)."""

    def __init__(self, exe: str, volume: float) -> None:
        self.name = "PowerShell System.Speech"
        self.argv = [exe, "-NoProfile", "-NonInteractive", "-Command", powershell_script(volume)]
        self._proc: subprocess.Popen | None = None

    def speak(self, text: str) -> None:
        try:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(" ".join(text.split()) + "\n")
            self._proc.stdin.flush()
            if not self._proc.stdout.readline():
                raise SpeechError(f"{self.name} stopped (exit {self._proc.poll()})")
        except OSError as exc:
            raise SpeechError(f"{self.name}: {exc}") from exc

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()


class CommandTonePlayer:
    """Plays beeps with a command-line player (`paplay`, `aplay -q`, `afplay`) from cached WAVs."""

    def __init__(self, argv: list[str], volume: float) -> None:
        self.name, self.argv, self.volume = argv[0], argv, volume
        self._dir: tempfile.TemporaryDirectory | None = None
        self._proc: subprocess.Popen | None = None

    def _path(self, kind: Beep) -> Path:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="formcoach-beeps-")
        path = Path(self._dir.name) / f"{kind.value}.wav"
        if not path.exists():
            path.write_bytes(wav_bytes(tone_samples(kind, self.volume)))
        return path

    def play(self, kind: Beep) -> None:
        try:
            self._proc = subprocess.Popen([*self.argv, str(self._path(kind))], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except OSError as exc:
            raise SpeechError(f"{self.name}: {exc}") from exc
        _, err = self._proc.communicate()
        code, self._proc = self._proc.returncode, None
        if code != 0 and err and any(sign in err.lower() for sign in NO_DEVICE_SIGNS):
            raise NoAudioDevice(f"{self.name}: no audio output device ({_last_line(err)})")
        if code != 0:
            raise SpeechError(f"{self.name} failed (exit {code}): {_last_line(err)}")

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class WinsoundTonePlayer:
    """Windows: the standard library's `winsound`, straight from memory."""

    name = "winsound"

    def __init__(self, volume: float) -> None:
        self.volume = volume

    def play(self, kind: Beep) -> None:
        import winsound  # Windows only

        winsound.PlaySound(wav_bytes(tone_samples(kind, self.volume)), winsound.SND_MEMORY)  # type: ignore[attr-defined,unused-ignore]

    def stop(self) -> None:
        pass


# ---- the non-blocking speaker ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    text: str | None  # None for a beep
    beep: Beep | None
    priority: int
    queued_at: float  # time.monotonic(): this layer deals with real playback, so wall time is right
    fallback: Beep | None = None  # for a text: the beep played instead when speech fails


class AsyncSpeaker:
    """Non-blocking `Speaker`: a worker thread plays a bounded queue through blocking backends.

    - `say`/`beep` only append to the queue. When it is full, the oldest item of the lowest
      priority goes (possibly the new one).
    - Items below `keep_priority` that waited more than `max_wait_s` are skipped: late advice is
      wrong advice. Rep numbers, hold "done" and set end (priority >= `keep_priority`) are kept.
    - A backend that fails prints ONE warning line on stderr and is switched off for the session.
    - `close()` lets the queue drain for up to `drain_s` (the set-end words are heard), then stops.
    """

    def __init__(
        self,
        engine: Engine | None,
        tones: TonePlayer | None = None,
        *,
        max_queue: int = 8,
        max_wait_s: float = 3.0,
        keep_priority: int = KEEP_PRIORITY,
        drain_s: float = 5.0,
        stderr: TextIO | None = None,
    ) -> None:
        self.engine, self.tones = engine, tones
        self.speaks = engine is not None
        self.max_queue, self.max_wait_s, self.keep_priority, self.drain_s = max_queue, max_wait_s, keep_priority, drain_s
        self.stderr = stderr
        self.dropped: list[str] = []  # what was never played (text, or "<beep kind>"), for tests/debugging
        self.played: list[str] = []
        self._queue: collections.deque[_Item] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._abort = False
        self._thread = threading.Thread(target=self._run, name="formcoach-speech", daemon=True)
        self._thread.start()

    # -- caller side (video loop): never waits for audio --

    def say(self, text: str, *, priority: int = 0, t: float | None = None, beep: Beep | None = None) -> None:
        if self.engine is not None:
            self._put(_Item(text, None, priority, time.monotonic(), beep))
        elif self.tones is not None and beep is not None:  # speech failed earlier: its beep stands in
            self._put(_Item(None, beep, priority, time.monotonic()))

    def beep(self, kind: Beep, *, t: float | None = None) -> None:
        if self.tones is not None:
            self._put(_Item(None, kind, KEEP_PRIORITY, time.monotonic()))

    def pending(self) -> int:
        """Items waiting (not counting the one being played)."""
        with self._cond:
            return len(self._queue)

    def _put(self, item: _Item) -> None:
        with self._cond:
            if self._closing:
                return
            self._queue.append(item)
            if len(self._queue) > self.max_queue:
                lowest = min(i.priority for i in self._queue)
                victim = next(i for i in self._queue if i.priority == lowest)  # the oldest of them
                self._queue.remove(victim)
                self.dropped.append(_label(victim))
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(self.drain_s)
        if self._thread.is_alive():
            with self._cond:
                self._abort = True
                self.dropped += [_label(i) for i in self._queue]
                self._queue.clear()
            for backend in (self.engine, self.tones):
                if backend is not None:
                    backend.stop()
            self._thread.join(1.0)
        elif self.tones is not None:
            self.tones.stop()  # removes its temp files

    # -- worker side --

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if self._abort or not self._queue:
                    return
                item = self._queue.popleft()
            if item.priority < self.keep_priority and time.monotonic() - item.queued_at > self.max_wait_s:
                self.dropped.append(_label(item))
                continue
            self._play(item)

    def _play(self, item: _Item) -> None:
        if item.text is not None and self.engine is None and item.fallback is not None:  # queued before speech failed
            item = _Item(None, item.fallback, item.priority, item.queued_at)
        try:
            if item.text is not None and self.engine is not None:
                self.engine.speak(item.text)
            elif item.beep is not None and self.tones is not None:
                self.tones.play(item.beep)
            else:
                return
            self.played.append(_label(item))
        except NoAudioDevice as exc:
            if self._abort:
                return
            warn(f"{exc}: sound off for this session (a --speech-log still records what would be said)", self.stderr)
            self.engine = self.tones = None
        except SpeechError as exc:
            if self._abort:
                return
            if item.text is not None:
                self.engine = None
                instead = "beeps instead" if self.tones is not None else "sound off"
                warn(f"speech failed ({exc}); {instead} for this session", self.stderr)
                if item.fallback is not None and self.tones is not None:
                    self._play(_Item(None, item.fallback, item.priority, item.queued_at))
            else:
                self.tones = None
                warn(f"beeps failed ({exc}); beeps off for this session", self.stderr)


def _label(item: _Item) -> str:
    return item.text if item.text is not None else f"<beep {item.beep.value if item.beep else '?'}>"


def _last_line(err: str | None) -> str:
    lines = (err or "").strip().splitlines()
    return lines[-1].strip() if lines else "no message"


# ---- choosing a backend -------------------------------------------------------------------------------


def find_engine(volume: float, wpm: int = DEFAULT_WPM, platform: str = sys.platform,
                which: Callable[[str], str | None] = shutil.which) -> Engine | None:
    """The platform's offline TTS engine, or None if there is none."""
    if platform == "darwin":
        exe = which("say")
        return CommandEngine("say", say_argv(exe, wpm), lambda s: say_text(s, volume)) if exe else None
    if platform == "win32":
        exe = which("powershell") or which("pwsh")
        return PowerShellEngine(exe, volume) if exe else None
    for name in ("espeak-ng", "espeak"):
        exe = which(name)
        if exe:
            return CommandEngine(name, espeak_argv(exe, volume, wpm))
    return None


def find_tone_player(volume: float, platform: str = sys.platform,
                     which: Callable[[str], str | None] = shutil.which) -> TonePlayer | None:
    """A way to play a WAV beep, or None if there is none."""
    if platform == "win32":
        return WinsoundTonePlayer(volume)
    candidates = (("afplay",),) if platform == "darwin" else (("paplay",), ("pw-play",), ("aplay", "-q"))
    for argv in candidates:
        exe = which(argv[0])
        if exe:
            return CommandTonePlayer([exe, *argv[1:]], volume)
    return None
