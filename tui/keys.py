"""The app's keys as data: every binding with its id, and which tab or run phase each one belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

# Footer order is binding order: the keys a user needs first stay visible when the footer is clipped.
APP_BINDINGS: list[BindingType] = [
    Binding("question_mark", "help", "Help", id="help", tooltip="Every key and what it does"),
    Binding("q", "quit_app", "Quit", id="quit", tooltip="Stop the run (asks first) and quit"),
    Binding("ctrl+c", "quit_app", "Quit", show=False, priority=True, id="quit-ctrl-c"),
    Binding("ctrl+q", "quit_app", "Quit", show=False, priority=True, id="quit-ctrl-q"),
    Binding(
        "a", "abort_run", "Abort", id="abort-run", tooltip="Stop k6 gracefully (asks first); again: at once"
    ),
    Binding("m", "mark", "Mark", id="mark", tooltip="Add a mark with a note"),
    Binding(
        "M", "instant_mark", "Mark now", show=False, id="instant-mark", tooltip="Add a mark with no note"
    ),
    Binding(
        "s", "snapshot", "Snapshot", id="snapshot", tooltip="Save the screen (SVG) and every value (JSON)"
    ),
    Binding(
        "p", "toggle_pause", "Pause", id="pause-display", tooltip="Freeze the display (recording goes on)"
    ),
    Binding(
        "d",
        "detach",
        "Detach",
        id="detach",
        tooltip="Leave the run going without this screen (loadwatch attach comes back to it)",
    ),
    Binding("R", "write_report", "Report", id="write-report", tooltip="Write report.md and report.html"),
    Binding("P", "replay_run", "Replay", id="replay-run", tooltip="Play this run back from its record"),
    # Tab keys: shown in the footer only on their own tab.
    Binding("c", "next_chart", "Chart", id="next-chart", tooltip="Show the next chart (small screens)"),
    Binding("end", "follow_output", "Follow", show=False, id="follow-output", tooltip="k6 output: follow"),
    Binding("pageup", "output_page(-1)", "Output up", show=False, id="output-up"),
    Binding("pagedown", "output_page(1)", "Output down", show=False, id="output-down"),
    Binding(
        "o",
        "sort_next",
        "Sort",
        id="endpoints-sort",
        tooltip="Endpoints, Containers: sort by the next column",
    ),
    Binding("r", "sort_reverse", "Reverse", id="endpoints-reverse", tooltip="Endpoints: reverse the order"),
    Binding("g", "next_gauge", "Next gauge", id="next-gauge", tooltip="Server: chart the next gauge"),
    # Replay.
    Binding("space", "play_pause", "Play/pause", id="replay-play", tooltip="Replay: play or pause"),
    Binding("plus,equals_sign", "replay_faster", "Faster", id="replay-faster", tooltip="Replay: faster"),
    Binding("minus", "replay_slower", "Slower", id="replay-slower", tooltip="Replay: slower"),
    # Priority: the focused tab bar would take the arrows; outside a replay check_action passes them on.
    Binding(
        "right",
        "replay_seek(10)",
        "+10s",
        show=False,
        priority=True,
        id="replay-forward",
        tooltip="Replay: +10 s",
    ),
    Binding(
        "left",
        "replay_seek(-10)",
        "-10s",
        show=False,
        priority=True,
        id="replay-back",
        tooltip="Replay: -10 s",
    ),
    Binding(
        "end",
        "replay_seek(1e9)",
        "End",
        show=False,
        priority=True,
        id="replay-end",
        tooltip="Replay: the end",
    ),
    Binding(
        "home",
        "replay_seek(-1e9)",
        "Start",
        show=False,
        priority=True,
        id="replay-start",
        tooltip="Replay: start",
    ),
]


@dataclass(frozen=True, slots=True)
class Tab:
    """One tab: its pane id, its number key and its label at full and narrow widths."""

    pane_id: str
    key: str
    label: str
    short: str
    tip: str = ""


TABS: tuple[Tab, ...] = (
    Tab("tab-load", "1", "Load", "Load", "the window's numbers, charts and k6's output"),
    Tab("tab-endpoints", "2", "Endpoints", "Endp", "every endpoint, status codes, latency, thresholds"),
    Tab("tab-system", "3", "Server", "Srv", "the system under test's gauges and the load generator"),
    Tab("tab-containers", "4", "Containers", "Ctr", "the containers' CPU, memory, I/O and events"),
    Tab("tab-breaches", "5", "Breaches", "Brch", "alert rules firing now and before"),
    Tab("tab-events", "6", "Events", "Evt", "marks, rule and source events on the run's time axis"),
    Tab("tab-metrics", "7", "Metrics", "Met", "k6's end-of-test summary, live: every metric and check"),
)
"""The tabs in order; `1`..`7` switch to them."""

TAB_BINDINGS: list[BindingType] = [
    Binding(t.key, f"show_tab('{t.pane_id}')", t.label, show=False, id=t.pane_id, tooltip=t.tip) for t in TABS
]

TAB_OF_ACTION: dict[str, frozenset[str]] = {
    "next_chart": frozenset({"tab-load"}),
    "follow_output": frozenset({"tab-load"}),
    "output_page": frozenset({"tab-load"}),
    "sort_next": frozenset({"tab-endpoints", "tab-containers"}),
    "sort_reverse": frozenset({"tab-endpoints"}),
    "next_gauge": frozenset({"tab-system"}),
}
"""Actions that belong to one tab: enabled and shown in the footer only there."""

LIVE_ONLY = frozenset({"abort_run", "mark", "instant_mark", "toggle_pause"})
"""Actions of a run in progress: hidden once it ended and in a replay."""
ENDED_ONLY = frozenset({"write_report", "replay_run"})
"""Actions of a finished live run: hidden while it runs."""
