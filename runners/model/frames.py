"""Plain frozen values the engine hands to its consumers (TUI, headless printer, recorder, replay)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from collectors.docker_model import ContainerEvent, DockerSnapshot
from collectors.gauges import GaugeSnapshot
from runners.model.rule_events import Breach

GaugeHistory = Mapping[tuple[str, str], tuple[tuple[float, float], ...]]


class RunState(enum.StrEnum):
    """Where a run is in its life."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FINISHED = "finished"  # k6 ended by itself with exit code 0
    THRESHOLDS_FAILED = "thresholds_failed"  # k6 exit code 99
    ABORTED = "aborted"  # stopped by the user, a signal or a rule
    FAILED = "failed"  # k6 could not start, crashed, or exited with an error code

    @property
    def is_active(self) -> bool:
        """True while k6 may still be running."""
        return self in (RunState.STARTING, RunState.RUNNING, RunState.STOPPING)


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Latency percentiles in milliseconds; None when there were no samples."""

    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class SecondPoint:
    """What happened in one wall-clock second of the run (by k6 sample time), plus the window view then.

    `t` is the unix second the bucket starts at. Rates are per second. `window` holds the latency
    percentiles over the sliding window that ends with this second.
    """

    t: int
    requests: int
    failed: int
    iterations: int
    data_sent: float
    data_received: float
    checks_pass: int
    checks_fail: int
    vus: float | None
    latency: Percentiles
    window: Percentiles

    @property
    def error_rate(self) -> float:
        """Failed requests over requests in this second (0 when idle)."""
        return self.failed / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class LiveStats:
    """The sliding-window view: what the engineer reads as 'now'."""

    window_s: int
    rps: float
    error_rate: float
    latency: Percentiles
    iterations_per_s: float
    data_sent_per_s: float
    data_received_per_s: float
    checks_rate: float | None
    vus: float | None
    vus_max: float | None


@dataclass(frozen=True, slots=True)
class Totals:
    """Whole-run totals since the first sample."""

    requests: int = 0
    failed: int = 0
    iterations: int = 0
    data_sent: float = 0.0
    data_received: float = 0.0
    checks_pass: int = 0
    checks_fail: int = 0
    latency: Percentiles = field(default_factory=Percentiles)
    latency_avg: float | None = None
    latency_min: float | None = None
    first_sample_t: float | None = None
    last_sample_t: float | None = None

    @property
    def failed_rate(self) -> float:
        """Share of failed requests over the whole run."""
        return self.failed / self.requests if self.requests else 0.0

    @property
    def checks_rate(self) -> float | None:
        """Share of passed checks, None when the script has no checks."""
        total = self.checks_pass + self.checks_fail
        return self.checks_pass / total if total else None


@dataclass(frozen=True, slots=True)
class OutputLine:
    """One line k6 printed, with where it came from."""

    t: float
    stream: (
        str  # "stdout", "stderr", "loadwatch" (loadwatch's notes) or "event" (rules, sources: the Events tab)
    )
    text: str


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One endpoint: window figures ("now") and whole-run figures."""

    name: str
    requests: int  # whole run
    rps: float  # window
    p50: float | None  # window, ms
    p95: float | None
    p99: float | None
    error_pct: float  # window
    run_p95: float | None
    run_error_pct: float
    statuses: tuple[tuple[str, int], ...]  # whole run, most frequent first
    window_requests: int = 0


@dataclass(frozen=True, slots=True)
class CodeCount:
    """How often a status code or k6 error code was seen in the window, and its share of requests."""

    code: str
    kind: str  # "2xx".."5xx", "network" (status 0 with a k6 error code)
    count: int
    share_pct: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class HistogramBin:
    """One bar of the window's latency distribution: requests with lo <= latency < hi (ms)."""

    lo: float
    hi: float
    count: int


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    """A threshold from the script's options: its value and verdict, per expression.

    Live, loadwatch computes the value from the threshold's own selector and judges the expression itself;
    at the end k6's own verdict replaces it (`final`), and `judged_by` says where the verdict came from.
    """

    metric: str
    expression: str
    value: float | None  # computed by loadwatch over the whole run so far; None only before any sample
    ok_by_k6: bool | None  # the verdict shown: loadwatch's live one, k6's once final; None = no sample yet
    final: bool = False
    judged_by: str = "loadwatch"  # "loadwatch" (live), "k6" (its summary), "k6 exit status + loadwatch"
    stat: str = ""  # the aggregation the expression reads (p(95), rate, count, ...)


@dataclass(frozen=True, slots=True)
class MetricStat:
    """One k6 metric or sub-metric as k6's end-of-test summary shows it, whole run so far."""

    name: str  # k6's key: `http_req_duration` or `http_req_duration{scenario:buy}`
    type: str  # counter | gauge | rate | trend
    contains: str  # default | time (ms) | data (bytes)
    section: str  # HTTP, EXECUTION, NETWORK, CUSTOM, WEBSOCKETS, GRPC, BROWSER
    values: tuple[tuple[str, float | None], ...]  # k6's stat keys (count, rate, avg, p(95), passes, ...)
    now_per_s: float | None = None  # Counter: per second over the window
    thresholds: tuple[tuple[str, bool | None], ...] = ()  # expression -> passing (None: no value yet)

    def value(self, key: str) -> float | None:
        """One stat by k6's key, None when absent."""
        return dict(self.values).get(key)


@dataclass(frozen=True, slots=True)
class CheckStat:
    """One named check (in one group), whole run so far."""

    name: str
    group: str  # `::a::b`, "" at the root
    passes: int
    fails: int

    @property
    def pass_pct(self) -> float | None:
        """Share of passes in percent, None before any."""
        total = self.passes + self.fails
        return 100.0 * self.passes / total if total else None


@dataclass(frozen=True, slots=True)
class GroupStat:
    """One group of the script's group tree with the metrics sampled inside it."""

    path: str  # `::a::b`
    metrics: tuple[MetricStat, ...]

    @property
    def name(self) -> str:
        """The group's own name (the last segment)."""
        return self.path.rsplit("::", 1)[-1]

    @property
    def depth(self) -> int:
        """1 for a top-level group."""
        return self.path.count("::")


@dataclass(frozen=True, slots=True)
class ScenarioStat:
    """One scenario: its iterations, drops, requests, latency and checks, whole run so far."""

    name: str
    iterations: int
    iterations_per_s: float | None  # over the window
    dropped_iterations: int
    requests: int
    p95_ms: float | None  # http_req_duration p(95), whole run
    checks_pass_pct: float | None
    vus: float | None = None  # from k6's progress lines, when known


@dataclass(frozen=True, slots=True)
class MetricsView:
    """Every k6 metric as k6's own end-of-test summary would show it now, plus the protocol's headline."""

    metrics: tuple[MetricStat, ...] = ()  # metrics first, each followed by its sub-metrics
    checks: tuple[CheckStat, ...] = ()
    groups: tuple[GroupStat, ...] = ()  # depth-first order
    scenarios: tuple[ScenarioStat, ...] = ()
    protocol: str = "http"  # http | websockets | grpc | none: what the Load tab headlines
    headline: tuple[tuple[str, str], ...] = ()  # (label, formatted value) for a run without HTTP requests
    duration_s: float = 0.0
    folded_tagsets: int = 0  # tag sets counted under coarse keys or "other" (cardinality bound)


@dataclass(frozen=True, slots=True)
class GeneratorView:
    """The load generator's health: the box and the k6 process."""

    box_cpu_pct: float | None
    box_mem_pct: float | None
    k6_cpu_pct: float | None  # % of one core
    k6_rss_bytes: int | None
    cores: int
    saturated: bool  # above the limit for long enough, now
    saturated_s: float  # seconds spent saturated over the run
    peak_box_cpu_pct: float
    peak_k6_cpu_pct: float
    peak_k6_rss_bytes: int
    warning: str  # "" when healthy


@dataclass(frozen=True, slots=True)
class Mark:
    """A note the engineer typed during the run (empty for an instant mark)."""

    t: float
    elapsed_s: float
    note: str
    by: str = "user"
    saved: bool = True  # False while the record cannot be written (disk full): kept in memory until it can


@dataclass(frozen=True, slots=True)
class RunEvent:
    """Something that happened on the run's time axis: a state change, a snapshot, a breach, a container event."""

    t: float
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Playback:
    """Where a replay stands: position and length on the run's time axis, speed, playing or paused."""

    position_s: float
    length_s: float
    speed: float
    playing: bool


@dataclass(frozen=True, slots=True)
class Frame:
    """Everything a consumer needs to draw the run at one instant. Produced twice a second."""

    seq: int
    wall_t: float
    run_name: str
    state: RunState
    elapsed_s: float
    planned_s: float | None
    live: LiveStats
    totals: Totals
    series: tuple[SecondPoint, ...]  # the most recent completed seconds, oldest first (bounded)
    new_output: tuple[OutputLine, ...]  # lines printed since the previous frame
    k6_exit_code: int | None
    status_detail: str  # one line: why the run is in its state ("k6 exited 107: script error", ...)
    parse_errors: int
    dropped_output_lines: int
    endpoints: tuple[EndpointRow, ...] = ()
    codes: tuple[CodeCount, ...] = ()
    latency_bins: tuple[HistogramBin, ...] = ()
    thresholds: tuple[ThresholdRow, ...] = ()
    generator: GeneratorView | None = None
    marks: tuple[Mark, ...] = ()
    events: tuple[RunEvent, ...] = ()  # the most recent, oldest first (bounded)
    rules: tuple[str, ...] = ()  # the names of the alert rules in force
    started_at: float = 0.0
    run_dir: str = ""
    replay: str = ""  # "" for a live run; "playing 2x" / "paused" ... when replayed
    firing: tuple[Breach, ...] = ()  # rules firing now, critical first
    breach_history: tuple[Breach, ...] = ()  # recent breaches, newest first
    rule_notes: tuple[str, ...] = ()  # rules without a value and why (`no such metric yet`)
    bell: bool = False  # a rule asked for the terminal bell in this frame
    capacity_ceiling: str = ""  # the load when a critical rule first fired, described
    gauges: GaugeSnapshot | None = None  # the system under test's gauges, None when none are configured
    gauge_history: GaugeHistory = field(default_factory=dict)  # (gauge, series) -> (t, value), last minutes
    containers: DockerSnapshot | None = None  # None when Docker is disabled
    container_events: tuple[ContainerEvent, ...] = ()  # events since the previous frame
    metrics: MetricsView | None = None  # every k6 metric, as k6's end-of-test summary, live
    rewound: bool = False  # replay jumped: panes that accumulate (output, container events) start over
    playback: Playback | None = None  # None for a live run
    stalled_s: float | None = None  # k6 alive but silent this long (a stall in progress), else None
    record_problem: str = ""  # why the record is not being written now ("" while it is)
