"""The `loadwatch` command line. Imports stay lazy so `loadwatch --help` answers at once."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from runners.config.run_config import RunConfig
    from runners.engine.headless import HeadlessPrinter
    from runners.engine.live import RunEngine, RunSpec
    from runners.engine.terminal_watch import TerminalWatch

VERSION = "0.1.0"


def _split_k6_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="config file (default: ./loadwatch.toml, then XDG)"
    )
    p.add_argument("--headless", action="store_true", help="no screen: progress lines on stdout")
    p.add_argument("--json-summary", type=Path, metavar="PATH", help="write the run's totals as JSON here")
    p.add_argument(
        "--runs-dir", type=Path, metavar="DIR", help="where run records go (default: XDG data dir)"
    )
    p.add_argument("--name", default="", help="run name (default: the script's name)")
    p.add_argument(
        "--window", type=int, default=10, metavar="S", help="sliding window in seconds (default 10)"
    )
    p.add_argument("--progress-every", type=float, default=5.0, metavar="S", help="headless progress period")
    p.add_argument(
        "--transport",
        choices=("json", "rw", "otlp"),
        default="json",
        help="how k6 hands samples over: json (every sample on a pipe, default), rw (Prometheus remote "
        "write, k6 aggregates per second), otlp (OpenTelemetry); see README, Overhead",
    )
    p.add_argument(
        "--detach",
        action="store_true",
        help="start the run in the background and return (watch it with `loadwatch attach`)",
    )
    p.add_argument(
        "--on-hangup",
        choices=("stop", "detach"),
        default=None,
        help="when the terminal is lost while the screen is attached: stop the run, or keep it running "
        "detached (default: [session] on_hangup in loadwatch.toml, else stop)",
    )
    p.add_argument("--engine-host", type=int, default=None, metavar="FD", help=argparse.SUPPRESS)
    p.add_argument("--engine-go", type=int, default=None, metavar="FD", help=argparse.SUPPRESS)


def _clock_arg(text: str) -> float:
    """Seconds from `12.5`, `1:05` or `1:02:03`."""
    try:
        value = 0.0
        for part in text.split(":"):
            value = value * 60 + float(part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (seconds or mm:ss)") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (seconds or mm:ss)")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (k6 arguments go after `--` and are split off before parsing)."""
    parser = argparse.ArgumentParser(
        prog="loadwatch",
        description="Launch k6 load tests and watch the load, the server and the containers live.",
        epilog="k6 arguments go after --, e.g.: loadwatch run test.js -- --vus 20 --duration 1m",
    )
    parser.add_argument("--version", action="version", version=f"loadwatch {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a k6 script and watch it")
    run.add_argument("script", help="the k6 script")
    _add_run_options(run)
    demo = sub.add_parser("demo", help="start the bundled demo target and ramp scenario")
    _add_run_options(demo)
    demo.add_argument("--speed", type=float, default=1.0, help="scale the ramp's stage durations by 1/SPEED")
    demo.add_argument("--pool-size", type=int, default=None, help="demo target's DB pool size")
    rules = sub.add_parser("rules", help="show the alert rules in force (defaults and config)")
    rules.add_argument("--config", type=Path, metavar="FILE")
    runs = sub.add_parser("runs", help="list recorded runs (* marks the baseline)")
    runs.add_argument("--runs-dir", type=Path, metavar="DIR")
    runs.add_argument("--set-baseline", metavar="RUN", help="make RUN the baseline reports compare against")
    runs.add_argument("--clear-baseline", action="store_true", help="forget the baseline")
    runs.add_argument("--live", action="store_true", help="only the runs going on now, with how to attach")
    attach = sub.add_parser("attach", help="watch a live run (started with --detach, or left with d)")
    attach.add_argument(
        "run", nargs="?", help="run folder, name, prefix or engine pid (default: the only live run)"
    )
    attach.add_argument(
        "--read-only", action="store_true", help="watch only: abort, mark and snapshot are off"
    )
    attach.add_argument("--runs-dir", type=Path, metavar="DIR")
    attach.add_argument("--config", type=Path, metavar="FILE", help="for the [keys] table")
    report = sub.add_parser("report", help="write report.md and a self-contained report.html for a run")
    report.add_argument("run", help="run folder, name, prefix, or `last`")
    report.add_argument(
        "--baseline", metavar="RUN", help="compare with this run (default: the one set with runs)"
    )
    report.add_argument("--no-baseline", action="store_true", help="do not compare, even with a baseline set")
    report.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: the run's folder)")
    report.add_argument("--format", choices=("md+html", "json"), default="md+html")
    report.add_argument("--runs-dir", type=Path, metavar="DIR")
    show = sub.add_parser("show", help="print one run's card: verdict, totals, thresholds, breaches, marks")
    show.add_argument("run", help="run folder, name, prefix, or `last`")
    show.add_argument("--json", action="store_true", help="everything as JSON, for scripts")
    show.add_argument("--runs-dir", type=Path, metavar="DIR")
    replay = sub.add_parser("replay", help="play a recorded run back in the same screen")
    replay.add_argument("run", help="run folder, name, prefix, or `last`")
    replay.add_argument("--speed", type=float, default=1.0, help="playback speed (default 1x)")
    replay.add_argument(
        "--at", type=_clock_arg, metavar="TIME", help="start at this time into the run (seconds or mm:ss)"
    )
    replay.add_argument("--paused", action="store_true", help="start paused (space plays)")
    replay.add_argument("--runs-dir", type=Path, metavar="DIR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `loadwatch` console script."""
    own, k6_args = _split_k6_args(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(own)
    # Records, snapshots, reports and k6's own summary are the user's only: folders 0700, files 0600.
    os.umask(0o077)
    if args.command in ("runs", "show", "replay"):
        return _records(args)
    if args.command == "report":
        return _report(args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "attach":
        return _attach(args)
    if args.window < 1 or args.window > 3600:
        print("loadwatch: --window must be between 1 and 3600 seconds", file=sys.stderr)
        return 2
    if args.engine_host is None and (args.detach or not args.headless):  # the engine runs apart
        return _launch(args, own, k6_args)
    if args.engine_go is not None and not _host_may_go(args.engine_go):
        return 0  # the launcher found the configuration invalid: create nothing
    if args.command == "run":
        config = _config(args, screen=args.engine_host is None)
        return 2 if config is None else _run(args, Path(args.script), k6_args, config, {})
    return _demo(args, k6_args)


def _config(args: argparse.Namespace, *, screen: bool = True, demo: bool = False) -> RunConfig | None:
    """The configuration, read once; None (after saying why) when it is invalid.

    `[keys]` is checked by every command, headless or not, so one file never passes one command and fails
    another; only an engine host skips it (`screen=False` there: its launcher checked the file already).
    """
    from runners.config.loader import ConfigError
    from runners.config.run_config import load_run_config

    key_ids = None
    if screen:
        from tui.app import LoadwatchApp

        key_ids = LoadwatchApp.binding_ids()
    try:
        return load_run_config(args.config, key_ids, demo=demo)
    except ConfigError as exc:
        print(f"loadwatch: invalid configuration: {exc}", file=sys.stderr)
        return None


def _rules(args: argparse.Namespace) -> int:
    from runners.rules.format import format_rules

    config = _config(args)
    if config is None:
        return 2
    path = config.path
    print(f"rules in force ({'defaults' if path is None else f'defaults and {path}'}):")
    print(format_rules(config.rules))
    return 0


def _report(args: argparse.Namespace) -> int:
    from runners.record.index import get_baseline, resolve_run
    from runners.record.store import default_runs_dir
    from runners.report.writer import report_command

    runs_dir = args.runs_dir or default_runs_dir()
    baseline = args.baseline
    if baseline is None and not args.no_baseline:
        chosen = get_baseline(runs_dir)
        try:
            this = resolve_run(runs_dir, args.run)
        except LookupError:
            this = None
        if chosen is not None and this is not None and chosen != this:
            baseline = str(chosen)
            print(
                f"loadwatch: comparing with the baseline {chosen.name} (--no-baseline to skip)",
                file=sys.stderr,
            )
    return report_command(args.run, runs_dir, baseline=baseline, out=args.out, fmt=args.format)


def _records(args: argparse.Namespace) -> int:
    import json

    from runners.record.index import (
        RunNotFoundError,
        get_baseline,
        listing,
        resolve_run,
        run_folders,
        set_baseline,
        show,
    )
    from runners.record.store import default_runs_dir

    runs_dir = args.runs_dir or default_runs_dir()
    if args.command == "runs":
        try:
            if args.set_baseline:
                chosen = resolve_run(runs_dir, args.set_baseline)
                set_baseline(runs_dir, chosen)
                print(f"baseline: {chosen.name}")
            elif args.clear_baseline:
                set_baseline(runs_dir, None)
        except RunNotFoundError as exc:
            print(f"loadwatch: {exc}", file=sys.stderr)
            return 2
        from runners.session.commands import live_status, live_table
        from runners.session.registry import scan

        found = scan(runs_dir)  # also removes the sockets of engines that are gone
        if args.live:
            print(live_table(found))
            return 0
        rows = [listing(d) for d in run_folders(runs_dir)]
        print(_runs_table([replace(r, status=live_status(r.status, r.folder, found)) for r in rows], runs_dir,
                          get_baseline(runs_dir)))  # fmt: skip
        return 0
    try:
        folder = resolve_run(runs_dir, args.run)
    except RunNotFoundError as exc:
        print(f"loadwatch: {exc}", file=sys.stderr)
        return 2
    if args.command == "show":
        from runners.record.reader import RecordReadError

        try:
            record = show(folder)
        except RecordReadError as exc:
            print(f"loadwatch: {exc}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(record, indent=2, default=str))
        else:
            from runners.report.run_card import show_card

            print(show_card(record))
        for problem in record["damage"]:
            print(
                f"loadwatch: the run record is damaged: {problem}; shown is what could be read",
                file=sys.stderr,
            )
        return 1 if record["damage"] else 0
    if args.speed <= 0:
        print("loadwatch: --speed must be positive", file=sys.stderr)
        return 2
    return _replay(folder, args)


def _replay(folder: Path, args: argparse.Namespace) -> int:
    from runners.engine.replay import ReplayControl
    from runners.record.reader import RecordReader, RecordReadError
    from tui.app import LoadwatchApp

    try:
        with RecordReader(folder) as reader:
            damage, seconds = reader.check(), reader.count_seconds()
        control = ReplayControl(folder, speed=args.speed, autoplay=not args.paused, start_s=args.at)
    except RecordReadError as exc:
        print(f"loadwatch: {exc}", file=sys.stderr)
        return 2
    notes = [f"loadwatch: the run record is damaged: {p}; replaying the {seconds} seconds that could be read"
             for p in damage]  # fmt: skip
    for note in notes:
        print(note, file=sys.stderr)
    if damage and not seconds:
        control.close()
        return 2
    LoadwatchApp(control, title="replay", docker_config=control.docker_config()).run()
    control.close()
    for note in notes:  # again: the screen covered them
        print(note, file=sys.stderr)
    return 1 if damage else 0


def _runs_table(rows: list[object], runs_dir: Path, baseline: Path | None = None) -> str:
    import time as _time

    from runners.record.index import RunListing

    lines = [f"{'run':<40} {'start':<16} {'duration':>8} {'status':<18} {'peak rps':>9} {'p95 ms':>8} "
             f"{'breaches':>8} {'marks':>5}"]  # fmt: skip
    for r in rows:
        assert isinstance(r, RunListing)
        start = _time.strftime("%Y-%m-%d %H:%M", _time.localtime(r.started_at)) if r.started_at else "-"
        dur = f"{r.duration_s:.0f}s" if r.duration_s is not None else "-"
        rps = f"{r.peak_rps:,.0f}" if r.peak_rps is not None else "-"
        p95 = f"{r.p95_ms:.1f}" if r.p95_ms is not None else "-"
        star = "*" if baseline is not None and r.folder == baseline else " "
        lines.append(f"{star}{r.folder.name:<39} {start:<16} {dur:>8} {r.status:<18} {rps:>9} {p95:>8} "
                     f"{r.breaches:>8} {r.marks:>5}")  # fmt: skip
    if len(lines) == 1:
        lines.append(f"(no runs in {runs_dir})")
    return "\n".join(lines)


def _demo(args: argparse.Namespace, k6_args: list[str]) -> int:
    from runners.demo.process import start_demo_process

    if args.speed <= 0:
        print("loadwatch: --speed must be positive", file=sys.stderr)
        return 2
    # Invalid: nothing starts, not even the target.
    config = _config(args, screen=args.engine_host is None, demo=True)
    if config is None:
        return 2
    kwargs = {} if args.pool_size is None else {"pool_size": args.pool_size}
    target = start_demo_process(**kwargs)
    try:
        script = Path(__file__).parent / "demo" / "scenarios" / "demo_ramp.js"
        env_args = ["-e", f"TARGET={target.url}", "-e", f"DEMO_SPEED={1 / args.speed:g}"]
        if not args.name:
            args.name = "demo"
        return _run(
            args, script, env_args + k6_args, config.for_demo(target.url), {"demo_target": target.url}
        )
    finally:
        target.stop()


def _run(
    args: argparse.Namespace, script: Path, k6_args: list[str], config: RunConfig, meta: dict[str, str]
) -> int:
    from runners.engine.live import RunSpec
    from runners.k6.binary import K6NotFoundError
    from runners.k6.command import K6ArgumentError
    from runners.record.store import default_runs_dir

    spec = RunSpec(
        docker=config.docker,
        rules=config.rules,
        gauges=config.gauges,
        script=script.expanduser().resolve(),
        k6_args=tuple(k6_args),
        name=args.name,
        runs_dir=args.runs_dir or default_runs_dir(),
        window_s=args.window,
        extra_meta=meta,
        transport=getattr(args, "transport", "json"),
    )
    if args.engine_host is not None:
        import psutil

        spec = replace(
            spec,
            extra_meta={
                **meta,
                "engine_pid": os.getpid(),
                "engine_pid_started": psutil.Process().create_time(),
            },
        )
    try:
        engine = _make_engine(spec)
    except (K6NotFoundError, K6ArgumentError, OSError) as exc:
        print(f"loadwatch: {exc}", file=sys.stderr)
        if args.engine_host is not None:
            from runners.session.host import ReadyPipe

            ReadyPipe(args.engine_host).send(ok=False, error=str(exc), code=2)
        return 2
    if args.engine_host is not None:
        return _host(engine, args, config)  # writes the JSON summary before its viewers are let go
    code = _headless(engine, args)
    for note in engine.notes:  # what happened after the last frame (a record that could not be completed)
        print(f"loadwatch: {note}", file=sys.stderr)
    if args.json_summary is not None:
        from runners.engine.summary import write_summary

        write_summary(args.json_summary, engine.summary)
    return code


def _make_engine(spec: RunSpec) -> RunEngine:
    from runners.engine.live import RunEngine

    return RunEngine(spec)


def _install_stop_signals(engine: RunEngine, on_stop: Callable[[], None] | None = None) -> TerminalWatch:
    """Ctrl+C and SIGTERM stop the run (a second time: at once); a lost terminal, by SIGHUP or by any other
    route the returned watch notices (a hang-up with no signal, EOF or EIO), stops it too, once."""
    from runners.engine.terminal_watch import TerminalWatch, quiet_std_streams

    presses = {"n": 0}

    def stop(reason: str) -> None:
        presses["n"] += 1
        engine.request_stop(hard=presses["n"] > 1, reason=reason)
        if on_stop is not None:
            on_stop()

    def terminal_lost(how: str) -> None:
        quiet_std_streams()  # nothing left to read or write: no spinning on EOF, no blocking on a dead pty
        stop(f"terminal lost ({how})")

    watch = TerminalWatch(terminal_lost)

    def handler(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            watch.lost("SIGHUP")
        else:
            stop("SIGTERM" if signum == signal.SIGTERM else "ctrl+c")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)
    return watch.start()


def _headless(engine: RunEngine, args: argparse.Namespace) -> int:
    from runners.engine.exit_status import exit_status_for
    from runners.engine.gc_policy import tune_for_ingest
    from runners.engine.headless import HeadlessPrinter

    printer = HeadlessPrinter(every_s=args.progress_every)
    engine.add_listener(printer)
    printer.on_lost = _install_stop_signals(engine).lost  # EIO or EPIPE on stdout: the terminal is gone
    engine.start()
    tune_for_ingest()
    print(f"loadwatch: run {engine.run_name} recording to {engine.run_dir}", flush=True)
    while not engine.wait(0.5):
        pass
    _print_k6_end_text(engine, printer)
    code = exit_status_for(engine.state, engine.k6.exit_code)
    if code == 0 and engine.rules.critical_fired:
        from runners.engine.exit_status import EXIT_CRITICAL_RULE

        print("loadwatch: a critical rule fired during the run (exit status 3)", flush=True)
        return EXIT_CRITICAL_RULE
    return code


def _print_k6_end_text(engine: RunEngine, printer: HeadlessPrinter) -> None:
    """After loadwatch's closing lines: k6's own end-of-test summary or handleSummary's stdout, masked."""
    lines = engine.output.end_text.lines()
    if not lines or printer.lost:
        return
    with contextlib.suppress(OSError):  # stdout is gone (the terminal closed): nothing more to say
        print("\nk6's end-of-test output:", *lines, sep="\n", flush=True)


def _host(engine: RunEngine, args: argparse.Namespace, config: RunConfig) -> int:
    from runners.record.store import default_runs_dir
    from runners.session.host import ReadyPipe, serve_run

    def finished() -> None:
        if args.json_summary is not None:
            from runners.engine.summary import write_summary

            write_summary(args.json_summary, engine.summary)

    policy = args.on_hangup or config.session.on_hangup
    runs_dir = args.runs_dir or default_runs_dir()
    return serve_run(engine, runs_dir, ReadyPipe(args.engine_host), detached=args.detach, on_hangup=policy,
                     on_finished=finished)  # fmt: skip


def _host_may_go(fd: int) -> bool:
    import runners.engine.live
    import runners.session.host  # noqa: F401 - imported while the launcher imports the screen
    from runners.session.launch import wait_for_go

    return wait_for_go(fd)


def _launch(args: argparse.Namespace, own: list[str], k6_args: list[str]) -> int:
    """Start the run in an engine host process; then watch it here, or (--detach) say how to attach."""
    from runners.session.launch import HostLaunch, LaunchError

    if args.command == "demo" and args.speed <= 0:
        print("loadwatch: --speed must be positive", file=sys.stderr)
        return 2
    demo = args.command == "demo"
    if _config(args, screen=False, demo=demo) is None:  # invalid: nothing starts
        return 2
    launch = HostLaunch(own, k6_args)  # it boots while this process loads the screen for the [keys] check
    config = _config(args, demo=demo)
    if config is None:
        launch.cancel()  # the host leaves without creating anything
        return 2
    launch.go()
    if args.detach:
        from runners.session.commands import detached_message

        try:
            ready = launch.wait_ready()
        except LaunchError as exc:
            print(f"loadwatch: {exc}", file=sys.stderr)
            return exc.code
        print(detached_message(ready))
        return 0
    from runners.session.client import RemoteRun, open_session
    from tui.session_view import view_run

    name = args.name or ("demo" if args.command == "demo" else Path(args.script).stem)
    remote = RemoteRun(lambda: open_session(launch.wait_ready().socket), run_name=name)
    return view_run(remote, config.keymap, launcher=True, docker_config=config.docker)


def _attach(args: argparse.Namespace) -> int:
    from runners.record.store import default_runs_dir
    from runners.session.client import RemoteRun, SessionRefusedError
    from runners.session.commands import choose_session

    runs_dir = args.runs_dir or default_runs_dir()
    info, problem = choose_session(runs_dir, args.run)
    if info is None:
        print(f"loadwatch: {problem}", file=sys.stderr)
        return 2
    config = _config(args, screen=True)
    if config is None:
        return 2
    try:
        remote = RemoteRun.connect(Path(info.socket), read_only=args.read_only)
    except SessionRefusedError as exc:
        print(f"loadwatch: refused: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"loadwatch: cannot attach to {info.run_name} (engine pid {info.pid}): {exc}", file=sys.stderr)
        return 1
    from tui.session_view import view_run

    return view_run(remote, config.keymap, launcher=False, docker_config=config.docker)


if __name__ == "__main__":
    sys.exit(main())
