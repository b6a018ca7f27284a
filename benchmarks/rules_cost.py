"""Rule evaluation cost: CPU per evaluation (the engine evaluates once a second) for many rules over many paths.

Each transition is recorded as the live engine records it: a `breach` event through the run journal into a
real SQLite run record, committed at once (one commit per transition), inside the timed evaluation.

Usage: python -m benchmarks.rules_cost [--rules 50] [--paths 200] [--seconds 300] [--smoke]
Cases: "quiet" (values far from every level, the common case), "busy" (values wander across the levels so
rules go pending, fire, escalate and resolve), and "all quiet" / "all busy" where every rule is a glob that
matches every path (rules x paths pairs, the worst case; "all busy" makes about 2,000 transitions a second).
"metric rules" is 50 rules on k6 metrics, sub-metrics and checks (`metric.<selector>.<stat>`, `check.<name>.<stat>`,
a `check.*` glob) read from a metric model that takes a second of a mixed k6 stream (12 metrics, 2 scenarios,
10 checks, 1,000 Trend samples) before each evaluation; its cost is reading the values plus evaluating them.
Budgets (CPU per evaluation, commits included): the common cases within 10 ms (1 % of a core at one
evaluation a second), the every-pair worst cases within 250 ms; --smoke checks bounds 3x looser. Exits
non-zero when a bound is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.budget import Budget, check, exit_code
from runners.model.rule_spec import Rule
from runners.record.journal import RunJournal
from runners.record.schema import EventKind
from runners.record.store import RunRecorder
from runners.rules.defaults import default_rules
from runners.rules.state import RuleEngine


def case_rules(n_rules: int, every_pair: bool) -> list[Rule]:
    """`n_rules` rules: the defaults, then per-endpoint and per-gauge globs and exact paths."""
    rules = [] if every_pair else default_rules()[: min(8, n_rules)]
    for i in range(n_rules - len(rules)):
        if every_pair:
            metric = "gauge.*"
        elif i % 3 == 0:
            metric = f"endpoint.*/{i % 10}/*.p95_ms"
        elif i % 3 == 1:
            metric = f"gauge.g{i % 50}*"
        else:
            metric = f"container.c{i % 20}.cpu_pct"
        rules.append(Rule(f"r{i}", metric, ">", warning=60.0, critical=90.0, for_s=float(i % 4)))
    return rules


def case_values(n_paths: int, step: int, busy: bool, every_pair: bool = False) -> dict[str, float | None]:
    """About `n_paths` paths of every kind (all gauges for every pair); busy values cross 60 and 90 often."""
    values: dict[str, float | None] = {}
    if every_pair:
        return {f"gauge.g{i}": float((step * 7 + i * 13) % 100) if busy else 10.0 for i in range(n_paths)}
    per_kind = max(1, n_paths // 4)
    for i in range(per_kind):
        wave = float((step * 7 + i * 13) % 100) if busy else 10.0
        values[f"endpoint.GET /api/{i % 10}/item{i}.p95_ms"] = wave * 5
        values[f"gauge.g{i}"] = wave
        values[f"container.c{i}.cpu_pct"] = wave
        values[f"host.x{i}"] = wave  # matched by no rule
    values |= {"k6.p95_ms": 120.0, "k6.error_pct": 0.0, "host.cpu_pct": 30.0}
    return values


def measure(
    n_rules: int, n_paths: int, seconds: int, busy: bool, every_pair: bool, work: Path
) -> tuple[float, int, int]:
    """Evaluate once per simulated second, recording and committing each transition into a run record.

    Returns:
        (median CPU seconds per evaluation, rule-path pairs, transitions in total)
    """
    engine = RuleEngine(case_rules(n_rules, every_pair), max_tracks=50_000)
    frames = [case_values(n_paths, s, busy, every_pair) for s in range(seconds)]
    work.mkdir()
    recorder = RunRecorder(work)
    journal = RunJournal(recorder, lambda: 0.0)
    costs = []
    transitions = 0
    for s, values in enumerate(frames):
        t0 = time.process_time_ns()
        changes = engine.evaluate(float(s), values, wall_t=float(s))
        for tr in changes:  # as RunRules records them: one committed event per transition
            journal.event(EventKind.BREACH, {**tr.as_dict(), "transition": tr.kind}, commit=True)
        engine.firing()  # what the frame builder reads each second
        costs.append(time.process_time_ns() - t0)
        transitions += len(changes)
    journal.close()
    recorder.close()
    costs.sort()
    return costs[len(costs) // 2] / 1e9, len(engine.states()), transitions


def metric_case() -> tuple[list[Rule], list[list[bytes]]]:
    """50 rules on metrics and checks, and 60 seconds of k6 JSON lines to feed before each evaluation."""
    trends, counters, rates, gauges = (
        [f"t{i}" for i in range(5)],
        ["c0", "c1", "c2"],
        ["r0", "r1"],
        ["g0", "g1"],
    )
    paths = [f"metric.{t}.p95" for t in trends] + [f"metric.{t}{{scenario:buy}}.p99" for t in trends]
    paths += [f"metric.{t}.avg" for t in trends] + [f"metric.{t}{{scenario:browse}}.max" for t in trends]
    paths += [f"metric.{c}.rate" for c in counters] + [f"metric.{c}{{scenario:buy}}.count" for c in counters]
    paths += [f"metric.{r}.fail_pct" for r in rates] + [f"metric.{g}.value" for g in gauges]
    paths += [f'check."check {i}".fail_pct' for i in range(10)] + ["check.*.fail_pct"]
    paths += [f"metric.nothing{i}.p95" for i in range(50 - len(paths))]
    rules = [Rule(f"m{i}", p, ">", warning=1e9, for_s=float(i % 3)) for i, p in enumerate(paths)]
    kinds = [(n, "trend") for n in trends] + [(n, "counter") for n in counters]
    kinds += [(n, "rate") for n in rates] + [(n, "gauge") for n in gauges]
    head = [b'{"type":"Metric","data":{"name":"%s","type":"%s","contains":"default","thresholds":[],'
            b'"submetrics":null},"metric":"%s"}' % (n.encode(), k.encode(), n.encode()) for n, k in kinds]  # fmt: skip
    seconds = []
    for s in range(60):
        stamp = f"2026-11-30T09:{s // 60:02d}:{s % 60:02d}.5Z".encode()
        lines = list(head) if s == 0 else []
        for i in range(100):
            tags = b'{"scenario":"%s"}' % (b"buy" if i % 2 else b"browse")
            for n, _k in kinds:
                lines.append(b'{"metric":"%s","type":"Point","data":{"time":"%s","value":%d,"tags":%s}}'
                             % (n.encode(), stamp, (i * 7) % 100, tags))  # fmt: skip
            check = b'{"scenario":"buy","check":"check %d","group":""}' % (i % 10)
            lines.append(b'{"metric":"checks","type":"Point","data":{"time":"%s","value":%d,"tags":%s}}'
                         % (stamp, i % 3 != 0, check))  # fmt: skip
        seconds.append(lines)
    return rules, seconds


def measure_metric_rules() -> tuple[float, int]:
    """Median CPU seconds per tick to read 50 metric and check rules' values and evaluate them; and pairs."""
    from runners.k6.ingest import K6Ingest
    from runners.k6.metric_model import MetricModel
    from runners.k6.rule_values import MetricRuleValues
    from runners.k6.tags import TagCache

    rules, seconds = metric_case()
    engine = RuleEngine(rules)
    values = MetricRuleValues([r.metric for r in rules], window_s=10)
    model = MetricModel()
    values.declare(model)
    ingest = K6Ingest(TagCache())
    t0 = 1796029200  # 2026-11-30T09:00:00Z, the lines' first second
    costs = []
    for s, lines in enumerate(seconds):
        ingest.feed(b"\n".join(lines) + b"\n")
        model.absorb(ingest.take())
        for half in (0.2, 0.7):  # the engine ticks twice a second
            now = t0 + s + half
            start = time.process_time_ns()
            engine.evaluate(now, values.values(model, now), wall_t=now)
            values.notes(model)
            costs.append(time.process_time_ns() - start)
    costs.sort()
    return costs[len(costs) // 2] / 1e9, len(engine.states())


COMMON = 0.010
WORST = 0.250


def main() -> int:
    """Print the cost per evaluation and its share of one core for each case; 1 when a bound is missed."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rules", type=int, default=50)
    p.add_argument("--paths", type=int, default=200)
    p.add_argument("--seconds", type=int, default=300)
    p.add_argument("--smoke", action="store_true", help="small and quick, for CI")
    a = p.parse_args()
    seconds = 20 if a.smoke else a.seconds
    print(f"{a.rules} rules x {a.paths} paths, {seconds} evaluations (one per second of a run)")
    cases = (
        ("quiet", False, False),
        ("busy", True, False),
        ("all quiet", False, True),
        ("all busy", True, True),
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, busy, every in cases:
            work = Path(tmp) / label.replace(" ", "-")
            cost, pairs, transitions = measure(a.rules, a.paths, seconds, busy, every, work)
            print(
                f"{label:>10}: {pairs:>6} rule-path pairs, {transitions:>6} transitions, "
                f"{cost * 1e3:7.3f} ms CPU per evaluation = {cost * 100:.2f} % of one core"
            )
            limit = WORST if every else COMMON
            budget = Budget(f"{label} per evaluation", "ms", full=limit * 1e3, smoke=limit * 3e3)
            results.append(check(budget, cost * 1e3, a.smoke))
    cost, pairs = measure_metric_rules()
    print(
        f"metric rules: {pairs:>6} rule-path pairs, {cost * 1e3:7.3f} ms CPU per tick = {cost * 200:.2f} % of one core"
    )
    budget = Budget("metric rules per tick", "ms", full=COMMON * 1e3, smoke=COMMON * 3e3)
    results.append(check(budget, cost * 1e3, a.smoke))
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
