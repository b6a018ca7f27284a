"""Gauge configuration: the TOML format, presets, credentials from env/file only, and errors naming file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from collectors.gauge_config import GaugesConfig, demo_gauges
from runners.config.gauges import parse_gauges
from runners.config.loader import ConfigError, RawConfig

EXAMPLE = """
presets = ["host", "postgres"]

[prometheus]
url = "http://127.0.0.1:9090/"
interval = 2
timeout = 1.5
bearer_token_env = "LW_TEST_PROM_TOKEN"

[[gauges]]
name = "orders_pool"
query = "100 * hikaricp_connections_active{pool='orders'} / hikaricp_connections_max{pool='orders'}"
unit = "%"
warning = 80
critical = 95
split_by = "instance"

[[gauges]]
name = "search_cache"
query = "100 * rate(cache_hits_total[1m]) / (rate(cache_hits_total[1m]) + rate(cache_misses_total[1m]))"
unit = "%"
direction = "below"
warning = 70
critical = 50
"""


def parse(text: str, tmp_path: Path) -> GaugesConfig:
    """Write the TOML to a file and parse its gauges."""
    path = tmp_path / "loadwatch.toml"
    path.write_text(text)
    return parse_gauges(RawConfig(path, tomllib.loads(text)))


def error(text: str, tmp_path: Path) -> ConfigError:
    """The ConfigError this TOML raises."""
    with pytest.raises(ConfigError) as info:
        parse(text, tmp_path)
    assert str(info.value).startswith(str(tmp_path / "loadwatch.toml") + ": ")
    return info.value


def test_example_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LW_TEST_PROM_TOKEN", "s3cret")
    config = parse(EXAMPLE, tmp_path)
    assert config.source == "prometheus"
    assert config.prometheus is not None and config.prometheus.url == "http://127.0.0.1:9090"
    assert config.interval_s == 2.0 and config.prometheus.timeout_s == 1.5
    assert [g.name for g in config.gauges] == ["cpu", "memory", "db_pool", "orders_pool", "search_cache"]
    cache = config.gauges[-1]
    assert (cache.direction, cache.warning, cache.critical, cache.unit) == ("below", 70.0, 50.0, "%")
    headers, auth = config.prometheus.auth.resolve()
    assert headers == {"Authorization": "Bearer s3cret"} and auth is None
    assert "s3cret" not in repr(config), "the secret is read when connecting, never kept in the config"


def test_no_config_means_no_gauges() -> None:
    config = parse_gauges(RawConfig(None, {}))
    assert config.gauges == () and config.source is None


def test_direct_scrape_when_no_prometheus_url(tmp_path: Path) -> None:
    config = parse(
        """
        presets = ["host"]
        [scrape]
        targets = ["http://127.0.0.1:9100", "http://127.0.0.1:8000/custom"]
        interval = 1
        """,
        tmp_path,
    )
    assert config.source == "scrape" and config.interval_s == 1.0
    assert config.scrape.targets == ("http://127.0.0.1:9100/metrics", "http://127.0.0.1:8000/custom")


def test_basic_auth_from_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "prom-password"
    secret.write_text("pa55\n")
    monkeypatch.setenv("LW_TEST_PROM_USER", "grafana")
    config = parse(
        f'[prometheus]\nurl = "https://prom.example:9090"\nusername_env = "LW_TEST_PROM_USER"\npassword_file = "{secret}"\n',
        tmp_path,
    )
    assert config.prometheus is not None
    assert config.prometheus.auth.resolve() == (None, ("grafana", "pa55"))


@pytest.mark.parametrize("key", ["password", "token", "bearer_token"])
def test_literal_secrets_are_rejected(tmp_path: Path, key: str) -> None:
    exc = error(f'[prometheus]\nurl = "http://127.0.0.1:9090"\n{key} = "hunter2"\n', tmp_path)
    assert exc.key == f"prometheus.{key}"
    assert "bearer_token_env" in exc.problem and "password_file" in exc.problem
    assert "hunter2" not in str(exc)


@pytest.mark.parametrize(
    ("toml", "key", "problem"),
    [
        ('[prometheus]\nurl = "ftp://x"', "prometheus.url", "expected an http:// or https:// URL"),
        ("[prometheus]\ninterval = 2", "prometheus.url", "is required"),
        ("[prometheus]", "prometheus.url", "is required"),
        ('prometheus = "http://x"', "prometheus", "expected a table"),
        ('[prometheus]\nurl = "http://x"\ninterval = 0', "prometheus.interval", "must be a positive number"),
        ('[prometheus]\nurl = "http://x"\ntimeout = "fast"', "prometheus.timeout", "expected a number"),
        (
            '[prometheus]\nurl = "http://x"\nbearer_token_env = "LW_TEST_UNSET_VAR"',
            "prometheus.bearer_token_env",
            "LW_TEST_UNSET_VAR is not set",
        ),
        (
            '[prometheus]\nurl = "http://x"\nbearer_token_file = "/nonexistent/token"',
            "prometheus.bearer_token_file",
            "cannot read file",
        ),
        ('[prometheus]\nurl = "http://x"\nurll = "x"', "prometheus.urll", "unknown key"),
        (
            '[scrape]\ntargets = ["127.0.0.1:9100"]',
            "scrape.targets[0]",
            "expected an http:// or https:// URL",
        ),
        ('presets = ["hots"]\n[scrape]\ntargets = ["http://x"]', "presets[0]", "unknown preset 'hots'"),
        (
            'presets = ["postgres", "pgbouncer"]\n[scrape]\ntargets = ["http://x"]',
            "presets[1]",
            "already from preset 'postgres'",
        ),
        ('presets = ["host"]', "prometheus.url", "neither prometheus.url nor scrape.targets"),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nquery = "up"\nunit = "%"',
            "gauges[0].name",
            "is required",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "Pool-1"\nquery = "up"\nunit = "%"',
            "gauges[0].name",
            "lower_snake_case",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nunit = "%"',
            "gauges[0].query",
            "is required",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "percent"',
            "gauges[0].unit",
            "unknown unit 'percent'",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "%"\nwarning = 90\ncritical = 80',
            "gauges[0].critical",
            "must be above warning",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "%"\ndirection = "below"\nwarning = 50\ncritical = 70',
            "gauges[0].critical",
            "must be below warning",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "%"\ndirection = "down"',
            "gauges[0].direction",
            'expected "above" or "below"',
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "%"\nmax = 0',
            "gauges[0].max",
            "must be positive",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "%"\nsplit_by = "a-b"',
            "gauges[0].split_by",
            "is not a label name",
        ),
        (
            '[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "p"\nquery = "up"\nunit = "%"\nlimit = 3',
            "gauges[0].limit",
            "unknown key",
        ),
        (
            'presets = ["host"]\n[prometheus]\nurl = "http://x"\n[[gauges]]\nname = "cpu"\nquery = "up"\nunit = "%"',
            "gauges[0].name",
            "duplicate gauge name 'cpu' (already from preset 'host')",
        ),
        ('[prometheus]\nurl = "http://x"\n[gauges]\nname = "p"', "gauges", "expected an array of tables"),
        (
            '[scrape]\ntargets = ["http://x"]\n[[gauges]]\nname = "p"\nquery = "histogram_quantile(0.9, x)"\nunit = "seconds"',
            "gauges[0].query",
            "direct scrape (no prometheus.url) cannot evaluate it",
        ),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path: Path, toml: str, key: str, problem: str) -> None:
    exc = error(toml, tmp_path)
    assert exc.key == key
    assert problem in exc.problem


def test_expr_overrides_query_for_direct_scrape(tmp_path: Path) -> None:
    config = parse(
        """
        [scrape]
        targets = ["http://127.0.0.1:8000"]
        [[gauges]]
        name = "p95"
        query = "histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m])))"
        expr = "x_sum / x_count"
        unit = "seconds"
        """,
        tmp_path,
    )
    assert config.gauges[0].scrape_expr == "x_sum / x_count"


def test_demo_gauges_contract() -> None:
    config = demo_gauges("http://127.0.0.1:8123")
    assert config.source == "scrape"
    assert config.scrape.targets == ("http://127.0.0.1:8123/metrics",)
    names = {g.name: g for g in config.gauges}
    assert list(names) == ["db_pool", "db_pool_waiting", "cache_hit", "cpu", "rss", "inflight"]
    assert names["db_pool"].unit == "%" and names["cache_hit"].direction == "below"
    assert names["rss"].unit == "bytes" and names["db_pool_waiting"].unit == "count"
    assert 'instance="127.0.0.1:8123"' in names["db_pool"].query
