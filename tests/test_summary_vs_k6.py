"""`--json-summary`'s k6 metrics against k6's own `--summary-export`, with the real k6 (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import k6_summary_scripts
from tests.summary_compare import k6_checks, load, metric_differences, run_headless
from tests.ws_echo import ws_echo_server

pytestmark = pytest.mark.integration


def test_every_k6_metric_and_sub_metric_is_in_the_summary_as_k6_exports_it(tmp_path: Path, k6_bin: str,
                                                                          nginx_url: str) -> None:  # fmt: skip
    script = tmp_path / "shop.js"
    script.write_text(k6_summary_scripts.SHOP)
    out = run_headless(tmp_path, script, ["-e", f"BASE={nginx_url}"])
    assert out.returncode == 99, out.stdout + out.stderr  # some thresholds fail on purpose
    ours, k6 = load(tmp_path)
    k6_metrics = k6["metrics"]
    assert {"pay_time", "orders", "paid_ok", "cart_size", "orders{kind:big}", "checks{check:paid}",
            "http_req_duration{group:::shop::pay}", "http_reqs{flow:window}", "http_req_duration{name:item}",
            "http_req_duration{scenario:buy}", "dropped_iterations"} <= set(k6_metrics)  # fmt: skip
    assert ours["metrics_source"] == "loadwatch"
    assert metric_differences(ours["metrics"], k6_metrics) == []
    # Trends add p(99) and count; every stat is there for every type.
    assert {"p(99)", "count"} <= set(ours["metrics"]["pay_time"])
    assert ours["metrics"]["pay_time"]["count"] == ours["metrics"]["orders"]["count"]
    # Every threshold: a value computed by loadwatch and k6's own verdict.
    rows = {(t["metric"], t["expression"]): t for t in ours["thresholds"]}
    k6_verdicts = {
        (m, e): not failed for m, v in k6_metrics.items() for e, failed in v.get("thresholds", {}).items()
    }
    assert set(rows) == set(k6_verdicts) and len(rows) == 16
    for key, passed in k6_verdicts.items():
        assert rows[key]["value"] is not None, key
        assert rows[key]["ok"] is passed, key
    assert not k6_verdicts["pay_time", "avg<0"] and k6_verdicts["pay_time", "p(99)<5000"]
    # Checks by name and the group tree, as k6's root_group has them.
    assert k6_checks(ours["groups"]) == k6_checks(k6["root_group"])
    by_path = {c["path"]: c for c in ours["checks"]}
    assert set(by_path) == {"::catalog::status 200", "::catalog::sometimes", "::shop::pay::paid"}
    sometimes = by_path["::catalog::sometimes"]
    assert sometimes["fails"] > 0 and sometimes["group"] == "::catalog" and sometimes["name"] == "sometimes"
    assert set(ours["groups"]["groups"]) == {"catalog", "shop"}
    assert set(ours["groups"]["groups"]["shop"]["groups"]) == {"pay"}
    assert set(ours["groups"]["groups"]["catalog"]["groups"]) == {"detail"}
    # Scenarios: the arrival-rate one dropped what k6 counted; requests and iterations add up.
    sc = ours["scenarios"]
    assert set(sc) == {"browse", "buy"}
    assert sc["buy"]["dropped_iterations"] == k6_metrics["dropped_iterations"]["count"] > 0
    assert sc["browse"]["dropped_iterations"] == 0
    assert sc["browse"]["iterations"] + sc["buy"]["iterations"] == k6_metrics["iterations"]["count"]
    assert sc["browse"]["requests"] + sc["buy"]["requests"] == k6_metrics["http_reqs"]["count"]
    assert sc["buy"]["checks_fails"] == 0 and sc["browse"]["checks_fails"] == sometimes["fails"]
    assert sc["buy"]["http_req_duration_p95_ms"] == pytest.approx(
        k6_metrics["http_req_duration{scenario:buy}"]["p(95)"], rel=0.02
    )


def test_websocket_metrics_reach_the_summary_as_k6_exports_them(tmp_path: Path, k6_bin: str,
                                                               ws_echo_url: str) -> None:  # fmt: skip
    script = tmp_path / "ws.js"
    script.write_text(k6_summary_scripts.WEBSOCKET)
    out = run_headless(tmp_path, script, ["-e", f"WS_URL={ws_echo_url}"])
    assert out.returncode == 0, out.stdout + out.stderr
    ours, k6 = load(tmp_path)
    ws = {n for n in k6["metrics"] if n.startswith("ws_")}
    assert {"ws_sessions", "ws_msgs_sent", "ws_msgs_received", "ws_connecting", "ws_session_duration"} <= ws
    assert k6["metrics"]["ws_msgs_received"]["count"] == 30
    assert metric_differences(ours["metrics"], k6["metrics"]) == []
    assert ours["metrics"]["ws_sessions"]["count"] == 6
    assert ours["checks"][0]["name"] == "switched" and ours["checks"][0]["passes"] == 6


def test_a_push_transport_run_takes_its_metrics_from_k6s_export(tmp_path: Path, k6_bin: str,
                                                               nginx_url: str) -> None:  # fmt: skip
    script = tmp_path / "shop.js"
    script.write_text(k6_summary_scripts.SHOP)
    out = run_headless(tmp_path, script, ["-e", f"BASE={nginx_url}"], lw_args=["--transport", "rw"])
    assert out.returncode == 99, out.stdout + out.stderr
    ours, k6 = load(tmp_path)
    assert ours["metrics_source"] == "k6", (
        "a push's aggregates feed the live views only: k6's exact export is used"
    )
    assert ours["metrics"] == k6["metrics"] and ours["groups"] == k6["root_group"]
    assert k6_checks(ours["groups"]) == {c["path"]: (c["passes"], c["fails"]) for c in ours["checks"]}


@pytest.fixture
def ws_echo_url() -> Iterator[str]:
    """A local WebSocket echo server."""
    with ws_echo_server() as url:
        yield url
