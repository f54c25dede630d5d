"""Output folders and streams that never lose or destroy anything.

Default folders do not collide (name + short hash of the input's absolute path); a folder is
never written over one of the inputs; an existing report is kept unless `force`; every problem
is one `OutputError` line. No cv2, no mediapipe.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from formcoach.errors import OutputError

#: Files a session writes into its output folder.
OUTPUT_NAMES = ("report.json", "report.html", "metrics.csv", "annotated.mp4", "landmarks.npz", "journal.jsonl")
DEFAULT_ROOT = Path("formcoach-out")


def default_out_dir(video: str | Path, root: Path = DEFAULT_ROOT) -> Path:
    """`formcoach-out/<name>-<6 hex of the absolute path>`: two `set1.mp4` in different folders differ."""
    path = Path(video).absolute()
    digest = hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:6]
    return root / f"{path.stem}-{digest}"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_not_input(target: Path, inputs: Iterable[str | Path | None]) -> None:
    """Refuse to write `target` when it is one of the inputs (same file, through any path or link)."""
    for item in inputs:
        if item and _same_file(Path(item), target):
            raise OutputError(f"{target}: is the input {item}; writing there would destroy it: choose another --out")


def prepare_out_dir(out: Path, inputs: Iterable[str | Path | None] = (), *, force: bool = False,
                    chosen: bool = True, say: Callable[[str], None] | None = None) -> Path:
    """Create (if needed) and check an output folder; returns the folder to use.

    Args:
        out: the folder asked for (`--out`) or the default one.
        inputs: input files; none of the files a session writes may be one of them.
        force: replace an existing report.
        chosen: the user named the folder. An existing report then is an error (without `force`);
            in a default folder, the next free `<name>-2`, `-3`, ... is used instead and said.
        say: where that choice is said (default: a line on stderr).
    Raises:
        OutputError: a file in the way, read-only, an input inside, or an existing report.
    """
    inputs = [i for i in inputs if i]
    for name in OUTPUT_NAMES:
        check_not_input(out / name, inputs)
    if (out / "report.json").exists() and not force:
        if chosen:
            raise OutputError(f"{out}: already holds a report; pass --force to replace it, or choose another --out")
        base, n = out, 2
        while (out / "report.json").exists():
            out, n = base.with_name(f"{base.name}-{n}"), n + 1
        (say or _stderr)(f"formcoach: note: {base} holds an earlier report; writing to {out} (--force replaces it)")
    make_writable_dir(out)
    return out


def make_writable_dir(out: Path) -> None:
    """mkdir -p and a write probe, with one-line errors (a file in the way, read-only, full disk)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder: choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{out}: a file is in the way of this folder: choose another --out") from None
    except NotADirectoryError:
        raise OutputError(f"{out}: a part of this path is a file, not a folder: choose another --out") from None
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
    probe = out / f".formcoach-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"{out}: cannot write in the output folder ({exc.strerror or exc})") from None


def check_writable_file(path: Path, inputs: Iterable[str | Path | None] = ()) -> None:
    """A single output file (e.g. --speech-log): not a folder, not an input, its folder writable."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, expected a file name")
    check_not_input(path, inputs)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{path}: cannot write here (permission denied)")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class PipeGuard:
    """Wraps stdout: when the reader goes away (`| head -3`), output is dropped and `on_close` called.

    The session then ends like `q` and its report is still written; nothing is printed about a
    closed pipe (it is the reader's choice, not an error).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_by_reader = False
        self.on_close: Callable[[], None] | None = None

    def _closed(self) -> None:
        if not self.closed_by_reader:
            self.closed_by_reader = True
            try:  # later flushes (and the one at exit) go nowhere instead of failing again
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._stream.fileno())
                os.close(devnull)
            except (OSError, ValueError, AttributeError):
                pass
            if self.on_close is not None:
                self.on_close()

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._closed()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            self._closed()
        return len(text)

    def flush(self) -> None:
        if self.closed_by_reader:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._closed()

    def __getattr__(self, name: str):  # isatty, fileno, encoding... of the real stream
        return getattr(self._stream, name)


def quiet_third_party() -> None:
    """Native libraries' start-up chatter (TFLite `INFO:`, absl `W0000`, FFmpeg) stays off stderr."""
    for name, value in (("GLOG_minloglevel", "2"), ("TF_CPP_MIN_LOG_LEVEL", "3"), ("OPENCV_FFMPEG_LOGLEVEL", "-8"),
                        ("OPENCV_LOG_LEVEL", "ERROR"), ("ABSL_MIN_LOG_LEVEL", "2")):
        os.environ.setdefault(name, value)
    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)


class NativeLogFilter:
    """Keeps native libraries' log lines (TFLite `INFO:`, absl `W0000`/`I0000`, FFmpeg `[h264 @ ...]`)
    off stderr, which then holds only formcoach's own lines.

    C++ code writes straight to file descriptor 2, so the descriptor is swapped for a pipe whose
    lines a thread passes on, except those. Python's `sys.stderr` goes to the real stderr directly.
    Does nothing when stderr is not a real file descriptor (e.g. captured by a test).
    """

    NOISE = (b"INFO: ", b"I0000", b"W0000", b"E0000", b"WARNING: All log messages before absl", b"[mpeg4 @", b"[h264 @",
             b"[hevc @", b"[mov,mp4", b"[swscaler @",
             b"[ERROR:", b"[ WARN:", b"[ INFO:",  # OpenCV's own log (e.g. probing a camera that is not there)
             b"WARNING: [", b"WARNING: Logging before InitGoogle")  # mediapipe 1.x's TFLite/absl start-up lines

    def __init__(self) -> None:
        self._saved: int | None = None
        self._thread: Any = None  # the stderr pump (threading.Thread) while active
        self._stderr: TextIO | None = None

    def __enter__(self) -> NativeLogFilter:
        import threading

        try:
            if sys.stderr.fileno() != 2:
                return self
        except (AttributeError, OSError, ValueError):
            return self
        sys.stderr.flush()
        self._saved = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self._stderr = sys.stderr
        sys.stderr = open(os.dup(self._saved), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        self._thread = threading.Thread(target=self._pump, args=(read_end, self._saved), daemon=True)
        self._thread.start()
        return self

    def _pump(self, read_end: int, out: int) -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not line.lstrip().startswith(self.NOISE):
                    with contextlib.suppress(OSError):
                        os.write(out, line)

    def __exit__(self, *exc: object) -> None:
        if self._saved is None:
            return
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = self._stderr
        os.dup2(self._saved, 2)  # closes the pipe's last writer (unless a child still holds it)
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        os.close(self._saved)
        self._saved = None
