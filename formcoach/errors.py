"""The one exception family. The CLI catches `FormcoachError`, prints one line, exits 2."""

from __future__ import annotations


class FormcoachError(Exception):
    """Base class: a problem the user can fix (bad input, bad spec, no camera...)."""


class SpecError(FormcoachError):
    """An exercise spec or routine file is malformed; the message names file, key and fix."""


class SourceError(FormcoachError):
    """A video file or camera cannot be opened or read."""


class PoseError(FormcoachError):
    """The pose backend cannot be loaded or run."""


class OutputError(FormcoachError):
    """An output folder or file cannot be created or written (read-only, a file in the way, disk full)."""


class SessionCrashed(FormcoachError):
    """A bug or an environment failure ended a session; its journal (and report so far) is kept (exit 1)."""
