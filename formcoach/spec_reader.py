"""Typed reading of one YAML mapping with errors that name the file, the key path, what was expected
and what was found; the validation limits every spec and routine shares. Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import builtins
import difflib
import math
from enum import Enum
from typing import Any, NoReturn, TypeVar

from formcoach.errors import SpecError

#: Validation limits (docs/spec_format.md): every number is finite and within these.
MAX_MAGNITUDE = 1e6  # thresholds (degrees, ratios, torso lengths)
MAX_SECONDS = 3600.0  # any duration
MAX_COUNT = 10_000  # sets, reps, frames
MAX_SPEC_BYTES = 1_000_000

E = TypeVar("E", bound=Enum)


def default_of(cls: Any, name: str) -> Any:
    """A dataclass field's default: defaults live on the dataclasses, parsers read them there."""
    return cls.__dataclass_fields__[name].default


class Reader:
    """Typed access to one YAML mapping with file/key-path error messages."""

    def __init__(self, path: str, data: Any, keypath: str) -> None:
        self.path, self.keypath = path, keypath
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, found {describe(data)}")
        for key in data:
            if not isinstance(key, str):
                self.fail(f"keys must be names (text), found {describe(key)}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        where = f"{self.keypath}.{key}" if key and self.keypath else (key or self.keypath or "(top level)")
        raise SpecError(f"{self.path}: {where}: {message}")

    def child(self, key: str, value: Any) -> Reader:
        return Reader(self.path, value, f"{self.keypath}.{key}" if self.keypath else key)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                self.fail("missing required key", key)
            return default
        return self.data[key]

    def str(self, key: str, default: Any = ..., choices: tuple[str, ...] | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        if not isinstance(value, str) or not value.strip():
            self.fail(f"expected a non-empty string, found {describe(value)}", key)
        if choices is not None and value not in choices:
            self.fail(f"expected one of {', '.join(choices)}, found {value!r}{did_you_mean(value, choices)}", key)
        return value

    def choice(self, key: builtins.str, kind: type[E], default: Any = ..., allowed: tuple[E, ...] | None = None) -> Any:
        """One of an Enum's values (or of `allowed`), as the Enum member; the error lists the valid ones."""
        names = tuple(m.value for m in (allowed or tuple(kind)))
        value = self.str(key, default, choices=names)
        return value if value is default and default is not ... else kind(value)

    def num(self, key: builtins.str, default: Any = ..., positive: bool = False, minimum: float | None = None,
            maximum: float = MAX_MAGNITUDE) -> Any:
        """A finite number within [minimum (or -maximum), maximum]; `positive`: above 0."""
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        number = finite_number(value)
        if number is None:
            finite = "" if isinstance(value, bool) or not isinstance(value, (int, float)) else "finite "
            self.fail(f"expected a {finite}number, found {describe(value)}", key)
        if positive and number <= 0:
            self.fail(f"expected a positive number, found {value}", key)
        low = -maximum if minimum is None else minimum
        if not low <= number <= maximum:
            self.fail(f"expected a number from {low:g} to {maximum:g}, found {number:g}", key)
        return number

    def seconds(self, key: builtins.str, default: Any = ..., positive: bool = False) -> Any:
        """A duration: 0 (above 0 if `positive`) to MAX_SECONDS."""
        return self.num(key, default, positive=positive, minimum=0.0, maximum=MAX_SECONDS)

    def int(self, key: builtins.str, default: Any = ..., minimum: int = 0) -> Any:
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
            self.fail(f"expected a whole number from {minimum} to {MAX_COUNT}, found {describe(value)}", key)
        return value

    def flag(self, key: builtins.str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            self.fail(f"expected true or false, found {describe(value)}", key)
        return value

    def names(self, key: builtins.str, allowed: Any, what: builtins.str) -> list[builtins.str]:  # `str` is a method here
        """A list of names, each in `allowed`."""
        value = self.raw(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
            self.fail(f"expected a list of {what} from {', '.join(allowed)}, found {describe(value)}", key)
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            key = str(unknown[0])
            self.fail(f"unknown key{did_you_mean(key, tuple(self.used))} (allowed: {', '.join(sorted(self.used))})", key)


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        return f"a {len(str(abs(value)))}-digit number"
    text = repr(value)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({type(value).__name__})"


def finite_number(value: Any) -> float | None:
    """`value` as a finite float, or None (booleans, text, NaN, inf, integers too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def did_you_mean(value: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
