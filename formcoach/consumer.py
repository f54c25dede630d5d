"""The `Consumer` base: what the session (and the workout runner) calls on everything that receives results.

The consumers themselves live with their job (`consumers`, `journal`, `thumbnails`, `voice`,
`person_lock`); none feeds back into the analysis. No cv2, no mediapipe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from formcoach.core import Event, FrameResult


class Consumer:
    """Receives a session's results; override what you need (every hook has a no-op default).

    `on_frame` returning False asks the session to stop (`q` pressed); a consumer that stops it for
    another reason sets `stop_reason` (a signal name, "stdout closed") and the session ends
    "interrupted (reason)". `on_events` gets the events only the session's end produces (a hold cut
    short); `close` is called once after the last frame.
    """

    stop_reason: str | None = None

    def on_frame(self, image: np.ndarray, result: FrameResult) -> bool | None:
        return None

    def on_events(self, events: Sequence[Event]) -> None:
        return None

    def close(self) -> None:
        return None
