"""The interface a screen uses to watch and steer one run, live or replayed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from runners.model.frames import Frame, Mark, RunState

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

    @property
    def can_annotate(self) -> bool:
        """True when marks and snapshots can be recorded now (a live run whose record is open)."""
        ...

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Record a mark; it is on disk when this returns."""
        ...

    def save_snapshot(self, svg_path: Path | None) -> Path:
        """Write every current value as JSON next to the screen's SVG; returns the JSON's path."""
        ...

    def snapshot_dir(self) -> Path:
        """Where snapshot files go."""
        ...


@runtime_checkable
class PlaybackControl(Protocol):
    """Extra controls of a replayed run."""

    def toggle_play(self) -> None:
        """Play or pause."""
        ...

    def faster(self) -> None:
        """Play faster."""
        ...

    def slower(self) -> None:
        """Play slower."""
        ...

    def seek(self, delta_s: float) -> None:
        """Move by delta seconds."""
        ...


@runtime_checkable
class SessionControl(Protocol):
    """Extra controls of a run watched from another process (runners.session.client.RemoteRun)."""

    @property
    def read_only(self) -> bool:
        """True for a viewer that may only watch."""
        ...

    def detach(self) -> None:
        """Leave on purpose; the run goes on without this screen."""
        ...
