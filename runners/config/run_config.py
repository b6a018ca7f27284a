"""Everything a run takes from `loadwatch.toml`, read and validated once, before anything starts."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field, replace
from pathlib import Path

from collectors.docker_config import DockerConfig
from collectors.gauge_config import GaugesConfig, demo_gauges
from runners.config.docker import parse_docker
from runners.config.gauges import parse_gauges
from runners.config.loader import ConfigContext, RawConfig, find_config, load_raw, parse_keymap
from runners.config.rules import check_rule_sources, parse_rules
from runners.config.session import SessionConfig, parse_session
from runners.model.rule_spec import Rule

# Every top-level name the file may hold; a new section is added here by the module that parses it.
SECTIONS = frozenset(
    {"prometheus", "scrape", "presets", "gauges", "docker", "rules", "rules_settings", "keys", "session"}
)


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The rules, gauges, containers and key map of a run, and the file they came from."""

    path: Path | None
    rules: tuple[Rule, ...]
    gauges: GaugesConfig
    docker: DockerConfig
    keymap: dict[str, str] = field(default_factory=dict)
    raw: RawConfig | None = None
    session: SessionConfig = field(default_factory=SessionConfig)

    def for_demo(self, target_url: str) -> RunConfig:
        """With no gauges configured, the demo target's own gauges (and the rules their levels give)."""
        if self.gauges.gauges:
            return self
        gauges = demo_gauges(target_url, self.gauges.prometheus)
        raw = self.raw or RawConfig(None, {})
        rules = parse_rules(raw, gauges.gauges)
        check_rule_sources(rules, gauges.gauges, raw)
        return replace(self, gauges=gauges, rules=tuple(rules))


def load_run_config(
    explicit: Path | None, key_ids: Set[str] | None = None, *, demo: bool = False
) -> RunConfig:
    """Find, read and validate the configuration once.

    Args:
        explicit: `--config`, else ./loadwatch.toml, else the XDG config directory, else defaults.
        key_ids: The screen's binding ids, which a `[keys]` table may remap (None: `[keys]` is not read).
        demo: For `loadwatch demo`: with no gauges configured, rules are checked against the demo's.

    Raises:
        ConfigError: naming the file, the key and the problem.
    """
    path = find_config(explicit)
    raw = load_raw(path)
    ConfigContext(path).reject_unknown(raw.data, SECTIONS, "section")  # `[promethues]` must not be ignored
    gauges = parse_gauges(raw)
    rules = parse_rules(raw, gauges.gauges)
    specs = gauges.gauges or (demo_gauges("http://127.0.0.1:1").gauges if demo else ())
    check_rule_sources(parse_rules(raw, specs) if specs is not gauges.gauges else rules, specs, raw)
    return RunConfig(
        path=path,
        rules=tuple(rules),
        gauges=gauges,
        docker=parse_docker(raw),
        keymap=parse_keymap(raw, set(key_ids)) if key_ids is not None else {},
        raw=raw,
        session=parse_session(raw),
    )
