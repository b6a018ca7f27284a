"""Per-endpoint tallies with a bound on rows: the busiest keep rows, the rest fold into "other"."""

from __future__ import annotations

from dataclasses import dataclass, field

from runners.k6.histogram import Histogram

OTHER = "other"


@dataclass(slots=True)
class EndpointTally:
    """Requests, failures, latency and status codes of one endpoint over some span."""

    requests: int = 0
    failed: int = 0
    hist: Histogram = field(default_factory=Histogram)
    statuses: dict[str, int] = field(default_factory=dict)
    error_codes: dict[str, int] = field(default_factory=dict)

    def add(self, values: list[float], n_requests: int, failed: bool, status: str, error_code: str) -> None:
        """Count `n_requests` requests sharing one status (and their durations, when known)."""
        self.requests += n_requests
        if failed:
            self.failed += n_requests
        if values:
            self.hist.add_many(values)
        if n_requests:  # durations alone (their request lines counted apart) add no status
            self.statuses[status] = self.statuses.get(status, 0) + n_requests
            if error_code:
                self.error_codes[error_code] = self.error_codes.get(error_code, 0) + n_requests

    def merge(self, other: EndpointTally) -> None:
        """Add another tally into this one."""
        self.requests += other.requests
        self.failed += other.failed
        self.hist.merge(other.hist)
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v
        for k, v in other.error_codes.items():
            self.error_codes[k] = self.error_codes.get(k, 0) + v


class EndpointTable:
    """Decides which endpoint names get their own row.

    At most `max_rows` names have rows; a new name gets a row while there is room, else it is counted
    under "other". Every `review_every` calls to `review()`, rows holding less than `min_share` of all
    requests are retired into "other" so that a busy endpoint that came late can get a row. Memory is
    therefore bounded by `max_rows`, whatever the number of distinct URLs. A retired name may get a row
    again later; what it had before stays in "other".
    """

    def __init__(self, max_rows: int = 50, min_share: float = 0.001) -> None:
        self.max_rows = max_rows
        self.min_share = min_share
        self.rows: set[str] = set()
        self.folded_names = 0  # distinct names first seen while the table was full (approximate)

    def row_for(self, name: str) -> str:
        """The row a request for `name` is counted under."""
        if name in self.rows:
            return name
        if len(self.rows) < self.max_rows:
            self.rows.add(name)
            return name
        self.folded_names += 1
        return OTHER

    def review(self, run_tallies: dict[str, EndpointTally]) -> list[str]:
        """Retire rows that carry too small a share of requests when the table is full; returns them."""
        if len(self.rows) < self.max_rows:
            return []
        total = sum(t.requests for t in run_tallies.values()) or 1
        retire = [
            n for n in self.rows if run_tallies.get(n, EndpointTally()).requests / total < self.min_share
        ]
        for n in retire:
            self.rows.discard(n)
            tally = run_tallies.pop(n, None)
            if tally is not None:
                run_tallies.setdefault(OTHER, EndpointTally()).merge(tally)
        return retire
