"""Where the shipped data lives: exercise specs and routines, found as package data.

In a wheel (and an editable install) `exercise_specs/` and `routines/` are the packages
`formcoach.exercise_specs` and `formcoach.routines` (pyproject maps them from the top-level
folders), so `importlib.resources` finds them wherever formcoach is installed. A plain source tree
that was never installed falls back to the folders beside the package. User folders
(`--specs DIR`, `$FORMCOACH_SPECS`, `$FORMCOACH_ROUTINES`; several joined with `os.pathsep`) are
searched after the shipped one and win on the same id. Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import os
from enum import Enum
from importlib import resources
from pathlib import Path

from formcoach.errors import SpecError


class DataKind(Enum):
    """A kind of shipped data: the package name and the folder in the repository."""

    SPECS = ("exercise_specs", "FORMCOACH_SPECS", "exercise spec folder")
    ROUTINES = ("routines", "FORMCOACH_ROUTINES", "routine folder")

    @property
    def folder(self) -> str:
        return self.value[0]

    @property
    def env(self) -> str:
        return self.value[1]

    @property
    def label(self) -> str:
        return self.value[2]


def shipped_dir(kind: DataKind) -> Path:
    """The folder holding the shipped files of `kind` (a real directory on disk)."""
    try:
        root = resources.files(f"formcoach.{kind.folder}")
    except ModuleNotFoundError:  # a source tree that was never installed
        root = Path(__file__).resolve().parent.parent / kind.folder
    path = Path(str(root))
    if not path.is_dir():  # e.g. imported from a zip: the loaders need files on disk
        raise SpecError(f"{path}: shipped {kind.label} not found (reinstall formcoach)")
    return path


def user_dirs(kind: DataKind, given: str | Path | None = None) -> list[Path]:
    """User folders of `kind`: `given` (e.g. --specs), else the environment variable; may be empty."""
    raw = str(given) if given is not None else os.environ.get(kind.env, "")
    folders = [Path(p) for p in raw.split(os.pathsep) if p]
    for folder in folders:
        if not folder.is_dir():
            raise SpecError(f"{folder}: {kind.label} not found (set {kind.env} or pass a folder)")
    return folders


def search_dirs(kind: DataKind, given: str | Path | None = None) -> list[Path]:
    """The shipped folder, then the user folders: later folders win on the same file name."""
    shipped = shipped_dir(kind)
    return [shipped, *(f for f in user_dirs(kind, given) if f.resolve() != shipped.resolve())]


def yaml_files(kind: DataKind, given: str | Path | None = None) -> dict[str, Path]:
    """`stem -> path` of every `*.yaml` in the search folders (a user file replaces a shipped one)."""
    found: dict[str, Path] = {}
    for folder in search_dirs(kind, given):
        found.update((p.stem, p) for p in sorted(folder.glob("*.yaml")))
    return dict(sorted(found.items()))
