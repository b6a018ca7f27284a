"""The interface a screen uses to watch and steer one run, live or replayed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from runners.frames import Frame, RunState

FrameListener = Callable[[Frame], None]


class RunControl(Protocol):
    """What the TUI and the headless printer need from a run.

    Listeners are called from the engine's own thread, twice a second and once more with the final
    frame; they must not block (the TUI posts a message and returns).
    """

    @property
    def run_name(self) -> str:
        """Short human name of the run."""
        ...

    @property
    def state(self) -> RunState:
        """The current state."""
        ...

    def add_listener(self, listener: FrameListener) -> None:
        """Receive every frame from now on."""
        ...

    def request_stop(self, *, hard: bool = False, reason: str = "user") -> None:
        """Stop gracefully (k6 runs teardown and its summary); with hard=True end k6 at once."""
        ...
