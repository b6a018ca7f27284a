"""Rules from the TOML config: valid files, defaults on/off/overridden, and errors naming file, key, rule, problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.config.loader import ConfigError, RawConfig, load_raw
from runners.config.rules import parse_rules
from runners.model.rule_spec import Rule, RuleActions
from runners.rules.defaults import default_rules
from runners.rules.format import format_rules
from runners.rules.state import RuleEngine

DEFAULT_NAMES = [r.name for r in default_rules()]

VALID = """
[rules_settings]
defaults = true

[[rules]]
name = "checkout-p95"
metric = "endpoint.POST /checkout.p95_ms"
op = ">="
warning = 400
critical = 800.5
for = "1m30s"
clear = 350
bell = true
command = ["notify-send", "loadwatch", "breach"]
command_timeout = "5s"
abort = "critical"
description = "checkout must stay fast"

[[rules]]
name = "redis"
metric = "gauge.redis_clients"
op = "above"
critical = 90
for = 15

[[rules]]
name = "pods-restart"
metric = "container.*.restarts"
warning = 0
abort = true
"""


def load(tmp_path: Path, text: str) -> list[Rule]:
    path = tmp_path / "loadwatch.toml"
    path.write_text(text)
    return parse_rules(load_raw(path))


def error_of(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value


def test_no_config_gives_the_defaults() -> None:
    rules = parse_rules(RawConfig(None, {}))
    assert rules == default_rules()
    assert all(r.source == "default" and r.actions == RuleActions() for r in rules)
    RuleEngine(rules)  # valid as a set


def test_valid_file(tmp_path: Path) -> None:
    rules = load(tmp_path, VALID)
    assert [r.name for r in rules] == [*DEFAULT_NAMES, "checkout-p95", "redis", "pods-restart"]
    checkout, redis, pods = rules[-3:]
    assert checkout == Rule(
        name="checkout-p95",
        metric="endpoint.POST /checkout.p95_ms",
        op=">=",
        warning=400.0,
        critical=800.5,
        for_s=90.0,
        clear=350.0,
        actions=RuleActions(
            bell=True, command=("notify-send", "loadwatch", "breach"), command_timeout_s=5.0, abort="critical"
        ),
        description="checkout must stay fast",
        source="config",
    )
    assert (redis.op, redis.warning, redis.critical, redis.for_s, redis.source) == (
        ">",
        None,
        90.0,
        15.0,
        "config",
    )
    assert pods.actions.abort == "critical" and pods.warning == 0.0
    table = format_rules(rules)
    assert (
        "checkout-p95" in table
        and ">= 800.5 ms" in table
        and "bell, cmd notify-send, abort@critical" in table
    )
    assert "checkout-p95 runs: notify-send loadwatch breach (timeout 5 s)" in table


def test_defaults_disabled(tmp_path: Path) -> None:
    rules = load(tmp_path, "[rules_settings]\ndefaults = false\n")
    assert rules == []
    assert "No alert rules are active" in format_rules(rules)


def test_default_overridden_by_name_keeps_other_fields(tmp_path: Path) -> None:
    rules = load(tmp_path, '[[rules]]\nname = "api-latency-p95"\ncritical = 1000\nabort = "critical"\n')
    assert [r.name for r in rules] == DEFAULT_NAMES
    api = rules[0]
    assert (api.metric, api.warning, api.critical, api.for_s, api.source) == (
        "k6.p95_ms",
        300.0,
        1000.0,
        10.0,
        "override",
    )
    assert api.actions.abort == "critical"


def test_a_default_can_be_removed(tmp_path: Path) -> None:
    rules = load(tmp_path, '[[rules]]\nname = "error-rate"\nenabled = false\n')
    assert "error-rate" not in [r.name for r in rules] and len(rules) == len(DEFAULT_NAMES) - 1
    assert load(tmp_path, '[[rules]]\nname = "cache-hit-rate"\nenabled = false\n') == default_rules()


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        (
            'metric = "k6.p95_ms"\nwarning = 600\ncritical = 500',
            "rules[0].critical",
            "critical 500 must be above warning 600 (op >)",
        ),
        (
            'metric = "gauge.hit"\nop = "<"\nwarning = 50\ncritical = 70',
            "rules[0].critical",
            "critical 70 must be below warning 50 (op <)",
        ),
        (
            'metric = "k6.p95_ms"\nwarning = 300\nclear = 400',
            "rules[0].clear",
            "clear 400 must be at or below the warning level 300",
        ),
        (
            'metric = "gauge.hit"\nop = "<"\nwarning = 50\nclear = 40',
            "rules[0].clear",
            "clear 40 must be at or above the warning level 50",
        ),
        (
            'metric = "k6.p95_ms"\nwarning = 300\nfor = "ten seconds"',
            "rules[0].for",
            "expected a duration like",
        ),
        ('metric = "k6.p95_ms"\nwarning = 300\nfor = -5', "rules[0].for", "must be between 0 and"),
        ('metric = "k6.p95_ms"\nwarning = 300\nfrom = "1m"', "rules[0].from", "unknown key"),
        ('metric = "k6.p95_ms"', "rules[0].warning", "set warning, critical or both"),
        ('metric = "k6.p95_ms"\nwarning = "300"', "rules[0].warning", "expected a number, got str '300'"),
        ('metric = "k6.p95_ms"\nwarning = 300\nop = "=="', "rules[0].op", "must be one of >, >=, <, <="),
        ('metric = "k6.latency"\nwarning = 300', "rules[0].metric", "unknown k6 metric 'latency'"),
        ('metric = "p95_ms"\nwarning = 300', "rules[0].metric", "must start with one of"),
        (
            'metric = "endpoint.GET /x.p50_ms"\nwarning = 300',
            "rules[0].metric",
            "unknown endpoint metric 'p50_ms'",
        ),
        ("warning = 300", "rules[0].metric", "is required"),
        (
            'metric = "k6.p95_ms"\nwarning = 300\nabort = "sometimes"',
            "rules[0].abort",
            "must be one of never, warning, critical",
        ),
        ('metric = "k6.p95_ms"\nwarning = 300\ncommand = []', "rules[0].command", "must be a non-empty list"),
        (
            'metric = "k6.p95_ms"\nwarning = 300\ncommand = ["x", 3]',
            "rules[0].command[1]",
            "must be a non-empty string",
        ),
        (
            'metric = "k6.p95_ms"\nwarning = 300\ncommand_timeout = "10m"',
            "rules[0].command_timeout",
            "between 0 and 300",
        ),
        ('metric = "k6.p95_ms"\nwarning = nan', "rules[0].warning", "must be a finite number"),
    ],
)
def test_each_error_names_file_key_rule_and_problem(
    tmp_path: Path, body: str, key: str, problem: str
) -> None:
    err = error_of(tmp_path, f'[[rules]]\nname = "my rule"\n{body}\n')
    assert err.path == tmp_path / "loadwatch.toml"
    assert err.key == key
    assert err.problem.startswith('rule "my rule": ')
    assert problem in err.problem
    assert str(err).startswith(f'{tmp_path / "loadwatch.toml"}: {key}: rule "my rule": ')


def test_a_shell_string_command_is_refused_with_the_list_to_write(tmp_path: Path) -> None:
    err = error_of(
        tmp_path,
        '[[rules]]\nname = "hook"\nmetric = "k6.rps"\nwarning = 1\ncommand = "curl -X POST http://x"\n',
    )
    assert err.key == "rules[0].command"
    assert "not a shell string" in err.problem
    assert 'write command = ["curl", "-X", "POST", "http://x"]' in err.problem


def test_error_index_counts_from_zero_and_names_the_rule(tmp_path: Path) -> None:
    ok = '[[rules]]\nname = "a"\nmetric = "k6.rps"\nwarning = 1\n'
    err = error_of(tmp_path, ok + '[[rules]]\nname = "b"\nmetric = "k6.rps"\nwarning = 1\nbell = "yes"\n')
    assert (err.key, err.problem) == ("rules[1].bell", "rule \"b\": expected true or false, got str 'yes'")


def test_duplicate_names(tmp_path: Path) -> None:
    one = '[[rules]]\nname = "a"\nmetric = "k6.rps"\nwarning = 1\n'
    err = error_of(tmp_path, one + one)
    assert (err.key, err.problem) == ("rules[1].name", 'rule "a": duplicate name (also rules[0])')


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[rules]\nname = "x"\n', "rules", "must be an array of tables"),
        ("[rules_settings]\ndefault = false\n", "rules_settings.default", "unknown key"),
        ('[rules_settings]\ndefaults = "no"\n', "rules_settings.defaults", "expected true or false"),
        ('[[rules]]\nmetric = "k6.rps"\n', "rules[0].name", "is required"),
        ('[[rules]]\nname = "  "\n', "rules[0].name", "must not be empty"),
    ],
)
def test_structure_errors(tmp_path: Path, text: str, key: str, problem: str) -> None:
    err = error_of(tmp_path, text)
    assert err.key == key and problem in err.problem


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ('"500ms"', 0.5),
        ('"30s"', 30.0),
        ('"2m"', 120.0),
        ('"1m30s"', 90.0),
        ('"1h"', 3600.0),
        ("7", 7.0),
        ("2.5", 2.5),
        ('"45"', 45.0),
    ],
)
def test_durations(tmp_path: Path, value: str, seconds: float) -> None:
    [rule] = load(
        tmp_path,
        f'[rules_settings]\ndefaults = false\n[[rules]]\nname = "d"\nmetric = "k6.rps"\nwarning = 1\nfor = {value}\n',
    )
    assert rule.for_s == seconds
