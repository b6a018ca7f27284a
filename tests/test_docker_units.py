"""Unit tests of the Docker collector's pieces: config, selection, the CLI's formulas, events, errors, records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.docker_config import DockerConfig
from collectors.docker_connection import classify, decode_event
from collectors.docker_model import ContainerEvent
from collectors.docker_stats import cpu_percent, memory_used, parse_time_ns, rates, read_frame
from collectors.docker_tracking import Tracked, cpu_limit_cores, status_exit_code, status_health
from runners.config.docker import parse_docker
from runners.config.loader import ConfigError, RawConfig

# The facts sample (`burner`, --cpus 0.3): 297,679,224 / 1,990,000,000 x 2 x 100 = 29.9 %.
FRAME: dict[str, Any] = {
    "read": "2026-11-22T09:56:56.824782225Z",
    "preread": "2026-11-22T09:56:55.82177598Z",
    "pids_stats": {"current": 1},
    "cpu_stats": {
        "cpu_usage": {"total_usage": 9375628343, "percpu_usage": [2630029641, 6745598702]},
        "system_cpu_usage": 608600000000,
        "online_cpus": 2,
    },
    "precpu_stats": {
        "cpu_usage": {"total_usage": 9077949119},
        "system_cpu_usage": 606610000000,
        "online_cpus": 2,
    },
    "memory_stats": {
        "usage": 16572416,
        "limit": 67108864,
        "stats": {"cache": 15728640, "total_inactive_file": 0, "rss": 53248},
    },
    "blkio_stats": {
        "io_service_bytes_recursive": [
            {"major": 8, "minor": 0, "op": "Read", "value": 4096},
            {"major": 8, "minor": 0, "op": "Write", "value": 8192},
            {"major": 8, "minor": 0, "op": "Total", "value": 12288},
        ]
    },
}


def raw(data: dict[str, Any]) -> RawConfig:
    return RawConfig(Path("/etc/loadwatch.toml"), data)


def test_defaults_without_a_docker_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    config = parse_docker(raw({}))
    assert config == DockerConfig()
    assert config.host == "unix:///var/run/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/x.sock")
    assert parse_docker(raw({})).host == "unix:///tmp/x.sock"


def test_full_table() -> None:
    table = {
        "enabled": True,
        "host": "tcp://127.0.0.1:2375",
        "names": ["api-*", "db"],
        "labels": ["tier=backend", "monitored"],
        "compose_project": "shop",
        "cpu_warning": 70,
        "cpu_critical": 90.5,
        "mem_warning": 75,
        "mem_critical": 85,
    }
    config = parse_docker(raw({"docker": table}))
    assert config.names == ("api-*", "db")
    assert config.cpu_warning == 70.0 and config.cpu_critical == 90.5
    assert config.list_filters() == {
        "label": ["tier=backend", "monitored", "com.docker.compose.project=shop"]
    }


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ({"hots": "x"}, "docker.hots", "unknown key"),
        ({"enabled": "yes"}, "docker.enabled", "expected true or false"),
        ({"host": "/var/run/docker.sock"}, "docker.host", "expected an address starting with unix://"),
        ({"names": "api"}, "docker.names", "expected a list"),
        ({"names": ["ok", ""]}, "docker.names[1]", "non-empty string"),
        ({"labels": ["=x"]}, "docker.labels[0]", "key=value"),
        ({"compose_project": ""}, "docker.compose_project", "must not be empty"),
        ({"cpu_warning": 95, "cpu_critical": 80}, "docker.cpu_warning", "must be below"),
        ({"mem_critical": -1}, "docker.mem_critical", "above 0"),
    ],
)
def test_invalid_tables_name_file_key_and_problem(table: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_docker(raw({"docker": table}))
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(info.value).startswith("/etc/loadwatch.toml: ")


def test_docker_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match="expected a table"):
        parse_docker(raw({"docker": 3}))


def test_selection_by_glob_label_and_project() -> None:
    everything = DockerConfig()
    assert everything.selects("/anything", None)
    by_name = DockerConfig(names=("api-*", "db"))
    assert by_name.selects("/api-1", {}) and by_name.selects("db", {})
    assert not by_name.selects("dbx", {})
    by_label = DockerConfig(labels=("tier=backend", "monitored"), compose_project="shop")
    labels = {"tier": "backend", "monitored": "", "com.docker.compose.project": "shop"}
    assert by_label.selects("x", labels)
    assert not by_label.selects("x", {**labels, "tier": "front"})
    assert not by_label.selects("x", {"tier": "backend", "monitored": "1"})


def test_cpu_percent_the_cli_way() -> None:
    assert cpu_percent(FRAME) == pytest.approx(29.92, abs=0.01)
    first = {**FRAME, "precpu_stats": {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0}}
    assert cpu_percent(first) is None  # the first frame of a stream has no previous reading
    idle = {**FRAME, "precpu_stats": FRAME["cpu_stats"]}
    assert cpu_percent(idle) == 0.0


def test_memory_cgroup_v1_and_v2() -> None:
    # v1: total_inactive_file is subtracted (0 here, so the active file pages count, as the CLI shows).
    assert memory_used(FRAME["memory_stats"]) == 16572416
    v1 = {"usage": 1000, "stats": {"total_inactive_file": 300, "inactive_file": 999}}
    assert memory_used(v1) == 700
    v2 = {"usage": 1000, "stats": {"inactive_file": 250, "anon": 700}}
    assert memory_used(v2) == 750
    assert memory_used({"usage": 100, "stats": {"inactive_file": 500}}) == 100
    assert memory_used({}) is None  # a container that is not running


def test_read_frame_and_rates() -> None:
    first = read_frame(FRAME)
    assert first.mem_pct == pytest.approx(24.69, abs=0.01)
    assert (first.blk_read, first.blk_write, first.pids) == (4096, 8192, 1)
    assert first.net_rx is None  # --network none and host have no `networks`
    second_frame = {
        **FRAME,
        "read": "2026-11-22T09:56:58.824782225Z",
        "networks": {"eth0": {"rx_bytes": 1000, "tx_bytes": 10}, "eth1": {"rx_bytes": 0, "tx_bytes": 0}},
        "blkio_stats": {
            "io_service_bytes_recursive": [{"op": "read", "value": 6144}, {"op": "write", "value": 8192}]
        },
    }
    second = read_frame(second_frame)
    third = read_frame(
        {
            **second_frame,
            "read": "2026-11-22T09:57:00.824782225Z",
            "networks": {"eth0": {"rx_bytes": 3000, "tx_bytes": 410}},
        }
    )
    assert rates(None, first) == (None, None, None, None)
    assert rates(first, second) == (None, None, 1024.0, 0.0)
    assert rates(second, third) == (1000.0, 200.0, 0.0, 0.0)


def test_time_parsing() -> None:
    assert parse_time_ns("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert parse_time_ns("2026-11-22T09:56:56.824782225Z") == 1795341416_824782225
    assert parse_time_ns("0001-01-01T00:00:00Z") is None
    assert parse_time_ns("garbage") is None


def test_decode_events() -> None:
    die = {
        "status": "die",
        "id": "bf64",
        "Type": "container",
        "Action": "die",
        "Actor": {"ID": "bf64", "Attributes": {"exitCode": "137", "image": "bbx:local", "name": "oomer"}},
        "time": 1795341478,
        "timeNano": 1795341478287452538,
    }
    event = decode_event(die)
    assert event == ContainerEvent(1795341478.2874525, "bf64", "oomer", "die", 137, "")
    assert event.describe() == "oomer died (exit 137)"
    health = {
        **die,
        "Action": "health_status: unhealthy",
        "Actor": {"ID": "bf64", "Attributes": {"name": "api"}},
    }
    decoded = decode_event(health)
    assert decoded is not None and (decoded.action, decoded.detail, decoded.exit_code) == (
        "health_status",
        "unhealthy",
        None,
    )
    assert decode_event({**die, "Type": "network"}) is None
    assert decode_event({"Type": "container"}) is None


def _wrapped(inner: OSError) -> Exception:
    # requests: ConnectionError(ProtocolError('Connection aborted.', inner)); docker wraps that again.
    try:
        try:
            raise ConnectionError(("Connection aborted.", inner))
        except ConnectionError as exc:
            raise RuntimeError("Error while fetching server API version") from exc
    except RuntimeError as exc:
        return exc


def test_classify_errors() -> None:
    host = "unix:///var/run/docker.sock"
    state, detail = classify(_wrapped(FileNotFoundError(2, "No such file or directory")), host, False)
    assert state == "socket_missing" and "/var/run/docker.sock" in detail
    assert classify(_wrapped(FileNotFoundError(2, "x")), host, True)[0] == "daemon_down"
    state, detail = classify(_wrapped(PermissionError(13, "Permission denied")), host, False)
    assert state == "permission_denied" and "docker group" in detail
    assert (
        classify(_wrapped(ConnectionRefusedError(111, "Connection refused")), host, False)[0] == "daemon_down"
    )
    assert classify(TimeoutError("timed out"), host, True)[0] == "daemon_down"


def test_status_text_and_limits() -> None:
    assert status_exit_code("Exited (3) 2 seconds ago") == 3
    assert status_exit_code("Up 2 seconds") is None
    assert status_health("Up 5 seconds (health: starting)") == "starting"
    assert status_health("Up 5 minutes (unhealthy)") == "unhealthy"
    assert cpu_limit_cores({"NanoCpus": 500_000_000}) == 0.5
    assert cpu_limit_cores({"CpuQuota": 50_000, "CpuPeriod": 100_000}) == 0.5
    assert cpu_limit_cores({"NanoCpus": 0, "CpuQuota": 0}) is None


def test_tracked_restarts_oom_and_summary() -> None:
    tracked = Tracked("abc" * 20, "api", "img", "running", 1.0)
    tracked.apply_inspect({"RestartCount": 2, "State": {"Running": True}, "HostConfig": {"NanoCpus": 10**9}})
    tracked.apply_frame(read_frame(FRAME), (None,) * 4, 2.0)
    ev = ContainerEvent
    tracked.apply_event(ev(3.0, tracked.id, "api", "oom", None, ""), 1.0)
    tracked.apply_event(ev(3.1, tracked.id, "api", "die", 137, ""), 1.0)
    stats = tracked.stats()
    assert (stats.state, stats.exit_code, stats.oom_killed, stats.cpu_pct) == ("exited", 137, True, None)
    tracked.apply_event(ev(4.0, tracked.id, "api", "start", None, ""), 1.0)
    stats = tracked.stats()
    assert (stats.state, stats.exit_code, stats.oom_killed, stats.restarts) == ("running", None, False, 3)
    summary = tracked.summary()
    assert summary["restarts"] == 1 and summary["restart_count"] == 3 and summary["oom_kills"] == 1
    assert summary["cpu_pct_peak"] == pytest.approx(29.92, abs=0.01)
    assert summary["mem_bytes_peak"] == 16572416
    assert [e["action"] for e in summary["events"]] == ["oom", "die", "start"]
    new = Tracked("def" * 20, "new", "img", "created", 1.0)
    new.apply_event(ev(1.0, new.id, "new", "start", None, ""), 1.0)
    assert new.restarts_in_run == 0  # a first start is not a restart
