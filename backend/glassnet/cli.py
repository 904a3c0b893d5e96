"""Command line: `glassnet serve`, `glassnet run CONFIG.json`, `glassnet sweep CONFIG.json --grid ...`,
`glassnet runs`, `glassnet lessons`, `glassnet openapi`."""

import argparse
import json
import os
import sys
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glassnet import __version__
from glassnet.settings import Settings

PROGRESS_EVERY = 0.1  # seconds between progress updates (and measured frames, headless)
KEY_HELP = (
    "your owner key on that server (default: GLASSNET_OWNER_KEY, else the one kept in ~/.config/glassnet/owners.json, "
    "else a new one, kept there)"
)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader closed the pipe (`glassnet lessons | head`): stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="glassnet", description="Glassnet: watch neural networks learn.")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the UI and the API")
    serve.add_argument("--host", help="address to listen on (GLASSNET_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (GLASSNET_PORT, default 8000)")

    run = commands.add_parser("run", help="train one config, headless or on a server, with a progress bar")
    run.add_argument("config", type=Path, help="a JSON file with an experiment config (as POST /api/runs takes)")
    run.add_argument("--out", type=Path, help="write the metrics there: .csv (one row per point) or .json")
    run.add_argument("--server", help="train on this server (e.g. http://127.0.0.1:8000) instead of here")
    run.add_argument("--token", help="the server's access token, if it has one")
    run.add_argument("--key", help=KEY_HELP)

    sweep = commands.add_parser(
        "sweep", help="train a run per combination of a grid's values around one config, on a server"
    )
    sweep.add_argument("config", type=Path, help="a JSON file with the base config (as POST /api/runs takes)")
    sweep.add_argument(
        "--grid",
        action="append",
        required=True,
        type=_grid_arg,
        metavar="PATH=VALUES",
        help=(
            "an axis of the grid: a dotted path into the config and its values, e.g. optimizer.lr=0.1,0.01, "
            "seed=0..4 (both ends included), model.activation=relu,tanh, model.hidden='[8,8];[16,16]' "
            "(values are JSON where they parse as JSON); repeat for more axes, the last varies fastest"
        ),
    )
    sweep.add_argument("--name", help="a name for the sweep")
    sweep.add_argument(
        "--csv", type=Path, metavar="OUT.csv", help="write a row per run there (the axes, status, final figures)"
    )
    sweep.add_argument("--json", type=Path, metavar="OUT.json", help="write the runs there as JSON")
    sweep.add_argument(
        "--server", default="http://127.0.0.1:8000", metavar="URL", help="the server (default: %(default)s)"
    )
    sweep.add_argument("--token", help="the server's access token, if it has one")
    sweep.add_argument("--key", help=KEY_HELP)

    runs = commands.add_parser("runs", help="list your runs on a server, newest first")
    runs.add_argument("--server", default="http://127.0.0.1:8000")
    runs.add_argument("--token")
    runs.add_argument("--key", help=KEY_HELP)
    runs.add_argument("--all", action="store_true", help="everyone's runs (needs the server token)")
    runs.add_argument("--status", help="only runs in this status")
    runs.add_argument("--limit", type=int, default=20)

    lessons = commands.add_parser("lessons", help="list the guided lessons, or check their claims (--verify)")
    lessons.add_argument(
        "--verify",
        nargs="*",
        metavar="ID",
        help="train the arms of these lessons (default: every lesson) and check each claim; exit 1 if one fails",
    )
    lessons.add_argument("--lang", choices=["en", "zh"], default="en", help="language of titles and summaries")
    lessons.add_argument("--server", help="ask this server (e.g. http://127.0.0.1:8000) instead of checking here")
    lessons.add_argument("--token", help="the server's access token, if it has one")

    commands.add_parser("openapi", help="print the OpenAPI schema (the frontend's types are generated from it)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        return _serve(args)
    if args.command == "openapi":
        from glassnet.api.app import create_app

        print(json.dumps(create_app().openapi(), indent=2, sort_keys=True))
        return 0
    if args.command == "runs":
        return _runs(args)
    if args.command == "lessons":
        return _lessons(args)
    if args.command == "sweep":
        return _sweep(args)
    return _run(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from glassnet.api.app import create_app

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    settings = Settings(**overrides)
    print(f"Glassnet {__version__} on http://{settings.host}:{settings.port}")
    # pings find half-open sockets: a client that stops answering is dropped within 20 s
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        ws_ping_interval=10,
        ws_ping_timeout=10,
        ws_per_message_deflate=settings.ws_compression,
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from glassnet.config import ExperimentConfig

    try:
        raw = json.loads(args.config.read_text())
        config = ExperimentConfig.model_validate(raw)
    except (OSError, json.JSONDecodeError) as exc:
        return _fail(f"cannot read {args.config}: {exc}")
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _fail(f"{args.config} is not a valid config: {problems}")
    if args.out and args.out.suffix not in (".csv", ".json"):
        return _fail(f"--out: {args.out} must end in .csv or .json")
    summary = _on_server(args, raw, config.total_steps) if args.server else _headless(config, args.out)
    if summary is None:
        return 1
    _table(summary)
    return 0 if summary["status"] == "finished" else 1


def _headless(config: Any, out: Path | None) -> dict[str, Any]:
    import torch

    from glassnet.cohort.alone import make_trainer
    from glassnet.data import tabular
    from glassnet.runs.export import metrics_csv
    from glassnet.runs.history import History
    from glassnet.train.driver import ByClock, Callbacks, Ending, drive
    from glassnet.train.probe import Reading

    settings = Settings()
    torch.set_num_threads(settings.torch_threads)  # as in the server's workers: small nets run best on one
    tabular.set_uploads_dir(settings.data_dir / "datasets")  # a config may name a dataset uploaded there
    trainer = make_trainer(config)
    history = History()
    progress = Progress(config.total_steps)

    def on_reading(reading: Reading) -> None:
        history.add(reading.step, reading.values)
        progress.show(reading.step, _latest(history))

    callbacks = Callbacks(
        on_reading=on_reading, on_event=lambda event: progress.note(f"step {event['step']}: {event['message']}")
    )
    try:
        ending = drive(trainer, config.total_steps, ByClock(1 / PROGRESS_EVERY), callbacks)
    except KeyboardInterrupt:  # Ctrl-C: the run stops where it is, and its summary still prints
        ending = Ending("stopped", "interrupted from the keyboard")
    progress.done()
    if out is not None:
        if out.suffix == ".csv":
            out.write_text(metrics_csv(history, [layer.name for layer in trainer.layers]))
        else:
            layers = [vars(layer) for layer in trainer.layers]
            body = {"config": config.model_dump(mode="json"), "layers": layers, "history": history.to_wire()}
            out.write_text(json.dumps({**body, "metrics": history.series()}))
    return {
        "run": "headless",
        "status": ending.status,
        "reason": ending.reason,
        "step": trainer.step_count,
        "device": trainer.device.type,
        "figures": _latest(history),
    }


def _latest(history: Any) -> dict[str, tuple[float | None, int]]:
    """The headline figures as last measured: {name: (value, step)}."""
    from glassnet.train.metrics import SUMMARY
    from glassnet.train.pack import finite_or_none

    figures = {}
    for name in SUMMARY:
        latest = history.latest(name)
        if latest is not None:
            figures[name] = (finite_or_none(latest[1]), latest[0])
    return figures


def _on_server(args: argparse.Namespace, raw: dict[str, Any], steps: int) -> dict[str, Any] | None:
    from glassnet.client import Client, GlassnetError
    from glassnet.train.metrics import SUMMARY

    with Client(args.server, token=args.token, key=args.key) as client:
        try:
            run = client.create_run(raw)
            progress = Progress(steps)
            progress.note(f"watch it at {client.url}/?run={run['id']}")
            figures: dict[str, tuple[float | None, int]] = {}
            for message in client.stream(run["id"]):
                if message["type"] == "frame":
                    figures.update((k, (message[k], message["step"])) for k in SUMMARY if k in message)
                    progress.show(message["step"], figures)
                elif message["type"] == "event":
                    progress.note(f"step {message['step']}: {message['message']}")
            progress.done()
            final = client.wait(run["id"], timeout=30)
            if args.out:
                exported = client.export(run["id"], format=args.out.suffix[1:])
                args.out.write_text(exported if isinstance(exported, str) else json.dumps(exported))
        except (GlassnetError, OSError) as exc:
            _fail(f"{args.server}: {exc}")
            return None
    return {
        "run": final["id"],
        "status": final["status"],
        "reason": final["error"],
        "step": final["step"],
        "device": final["device"],
        "figures": {name: (f["value"], f["step"]) for name, f in final["summary"].items()},
    }


def _grid_arg(text: str) -> tuple[str, list[Any]]:
    """--grid PATH=VALUES as (path, values); argparse reports a bad one with the parser's message."""
    from glassnet.runs.sweeps import parse_grid_arg

    try:
        return parse_grid_arg(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--grid ")) from None


def _sweep(args: argparse.Namespace) -> int:
    from glassnet.client import Client, GlassnetError

    try:
        raw = json.loads(args.config.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return _fail(f"cannot read {args.config}: {exc}")
    grid: dict[str, list[Any]] = {}
    for path, values in args.grid:
        if path in grid:
            return _fail(f"--grid {path}: given twice; give all its values in one --grid")
        grid[path] = values
    with Client(args.server, token=args.token, key=args.key) as client:
        try:
            sweep = client.create_sweep(raw, grid, name=args.name)
        except (GlassnetError, OSError) as exc:
            return _fail(f"{args.server}: {exc}")
        progress = Progress(max(1, sweep["steps_total"]))
        progress.note(f"sweep {sweep['id']}: {len(sweep['members'])} runs on {client.url}")

        def show(info: dict[str, Any]) -> None:
            progress.total = max(1, info["steps_total"])  # (a member that ends early counts what it trained)
            progress.advance(info["steps_done"], _sweep_progress(info))

        _interrupt_on_signals()  # a kill or a closed terminal stops the sweep as Ctrl-C does
        try:
            try:
                final = client.wait_sweep(sweep["id"], on_progress=show)
            except KeyboardInterrupt:  # Ctrl-C stops the sweep's runs on the server too, and the table still prints
                client.stop_sweep(sweep["id"])
                progress.note(f"stopped sweep {sweep['id']} (interrupted from the keyboard)")
                final = client.wait_sweep(sweep["id"], timeout=30)
            progress.done()
            for out, format in ((args.csv, "csv"), (args.json, "json")):
                if out is not None:
                    exported = client.export_sweep(sweep["id"], format=format)
                    out.write_text(exported if isinstance(exported, str) else json.dumps(exported))
        except (GlassnetError, OSError, TimeoutError) as exc:
            progress.done()
            return _fail(f"{args.server}: {exc}")
    _print_rows(sweep_table(final))
    counts = ", ".join(f"{n} {status}" for status, n in final["counts"].items() if n)
    print(f"sweep {final['id']} {final['status']}: {counts}")
    return 0 if final["status"] == "done" else 1


def _sweep_progress(info: dict[str, Any]) -> str:
    """What the progress bar says of a sweep: steps, runs ended, the best test loss so far."""
    from glassnet.runs.status import TERMINAL

    ended = sum(n for status, n in info["counts"].items() if status in TERMINAL)
    losses = [loss for m in info["members"] if (loss := _figure(m, "test_loss")) is not None]
    best = f"  best test {_number(min(losses))}" if losses else ""
    return f"step {info['steps_done']}/{info['steps_total']}  runs {ended}/{len(info['members'])} ended{best}"


def _figure(member: dict[str, Any], name: str) -> float | None:
    return ((member.get("summary") or {}).get(name) or {}).get("value")


def _interrupt_on_signals() -> None:
    """SIGTERM and SIGHUP as Ctrl-C (KeyboardInterrupt), so that what a command started on a server stops."""
    import signal

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def sweep_table(sweep: dict[str, Any]) -> list[list[str]]:
    """The sweep's runs as table rows, a header first: the axes, status and final figures, the best run first
    (lowest test loss, else train loss; runs with neither last). A figure no run has is left out."""
    from glassnet.runs.sweeps import summary_rows
    from glassnet.train.metrics import BY_NAME, FINAL

    def best_first(member: dict[str, Any]) -> tuple[bool, float, bool, float, int]:
        test, train = _figure(member, "test_loss"), _figure(member, "train_loss")
        return (test is None, test or 0.0, train is None, train or 0.0, member["index"])

    members = sorted(sweep["members"], key=best_first)
    rows = summary_rows(members)
    axes = list(sweep["grid"])
    figures = [name for name in FINAL if any(row[name] is not None for row in rows)]
    table = [[*axes, "status", *(BY_NAME[name].label for name in figures)]]
    for row in rows:
        cells = ["-" if row[axis] is None else str(row[axis]) for axis in axes] + [row["status"]]
        for name in figures:
            value = row[name]
            cells.append(_percent(value) if BY_NAME[name].unit == "share" else _number(value))
        table.append(cells)
    return table


def _runs(args: argparse.Namespace) -> int:
    from glassnet.client import Client, GlassnetError

    with Client(args.server, token=args.token, key=args.key) as client:
        try:
            page = client.runs(status=args.status, limit=args.limit, everyone=args.all)
        except (GlassnetError, OSError) as exc:
            return _fail(f"{args.server}: {exc}")
    rows = [["id", "name", "status", "step", "optimizer", "test loss", "created"]]
    for run in page["items"]:
        c = run["config"]
        rows.append(
            [
                run["id"],
                run["name"],
                run["status"] + (" (unwatched)" if run.get("idle") else ""),
                f"{run['step']}/{c['steps'] if c['steps'] is not None else '∞'}",
                f"{c['optimizer']['name']} {c['optimizer']['lr']:g}",
                _number((run["summary"].get("test_loss") or {}).get("value")),
                run["created_at"][:19].replace("T", " "),
            ]
        )
    _print_rows(rows)
    print(f"{len(page['items'])} of {page['total']} run(s)")
    return 0


def _lessons(args: argparse.Namespace) -> int:
    from glassnet.client import Client, GlassnetError

    client = Client(args.server, token=args.token) if args.server else None
    try:
        if client is not None:
            listing = client.lessons()
        else:
            from glassnet.lessons import LESSONS

            listing = [lesson.to_json() for lesson in LESSONS.values()]
        ids = [lesson["id"] for lesson in listing]
        if args.verify is None:
            rows = [["order", "id", "title", "watch"]]
            rows += [[str(x["order"]), x["id"], x["title"][args.lang], x["watch"]] for x in listing]
            _print_wide_rows(rows)
            return 0
        unknown = [lesson_id for lesson_id in args.verify if lesson_id not in ids]
        if unknown:
            return _fail(f"no lesson {', '.join(unknown)}; the lessons are {', '.join(ids)}")
        titles = {x["id"]: x["title"][args.lang] for x in listing}
        failed = 0
        chosen = args.verify or ids
        for lesson_id in chosen:
            if client is not None:
                result = client.run_lesson(lesson_id)
            else:
                from glassnet.lessons import LESSONS
                from glassnet.lessons.runner import check

                try:
                    result = check(LESSONS[lesson_id])
                except Exception as exc:  # a broken lesson is a failed one; the others still run
                    print(f"FAIL  {lesson_id}  {titles[lesson_id]}: {type(exc).__name__}: {exc}")
                    failed += 1
                    continue
            failed += not _show_check(result, titles[lesson_id], args.lang)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): main() ends quietly
    except (GlassnetError, OSError) as exc:
        return _fail(f"{args.server or 'lessons'}: {exc}")
    finally:
        if client is not None:
            client.close()
    passed = len(chosen) - failed
    print(f"{passed} / {len(chosen)} 节课通过" if args.lang == "zh" else f"{passed} of {len(chosen)} lesson(s) passed")
    return 1 if failed else 0


def _show_check(result: dict[str, Any], title: str, lang: str) -> bool:
    verdict = result["verdict"]
    seconds = sum(run["seconds"] for run in result["runs"])
    print(f"{'PASS' if verdict['passed'] else 'FAIL'}  {result['lesson']}  {title}  ({seconds:.1f} s)")
    print("  " + verdict["summary"][lang])
    print("  " + "  ".join(f"{name}={_number(value)}" for name, value in verdict["figures"].items()))
    for run in result["runs"]:
        final = run.get("final")
        if final is None:  # an optimizer-lab arm: where each optimizer's path ended
            ends = ", ".join(f"{p['optimizer']} {_number(p['final_loss'])}" for p in run.get("paths") or [])
            print(f"    {run['arm']}: final loss {ends}, {run['seconds']:.1f} s")
            continue
        print(
            f"    {run['arm']}: train loss {_number(final['train_loss'])}, test loss {_number(final['test_loss'])}, "
            f"test accuracy {_percent(final['test_acc'])}, {run['seconds']:.1f} s"
        )
    return bool(verdict["passed"])


def _width(text: str) -> int:
    """Columns `text` takes on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _print_wide_rows(rows: list[list[str]]) -> None:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip())


class Progress:
    """A one-line progress bar on a terminal; a line every few seconds otherwise (logs, CI)."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width = total, width
        self.tty = sys.stderr.isatty()
        self.last_line = 0.0

    def show(self, step: int, figures: dict[str, tuple[float | None, int]]) -> None:
        train, test = figures.get("train_loss", (None, 0))[0], figures.get("test_loss", (None, 0))[0]
        self.advance(step, f"step {step}/{self.total}  train {_number(train)}  test {_number(test)}")

    def advance(self, done: int, text: str) -> None:
        """The bar at `done` of the total, then `text`."""
        share = min(1.0, done / self.total)
        bar = "#" * round(share * self.width)
        line = f"[{bar:<{self.width}}] {share:4.0%} {text}"
        if self.tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif time.monotonic() - self.last_line > 2 or done >= self.total:
            print(line, file=sys.stderr, flush=True)
            self.last_line = time.monotonic()

    def note(self, text: str) -> None:
        print(("\n" if self.tty else "") + text, file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def _table(summary: dict[str, Any]) -> None:
    """The run's outcome; a figure measured before the last step says at which step."""
    from glassnet.train.metrics import BY_NAME, SUMMARY

    rows = [
        ["run", summary["run"]],
        ["status", summary["status"]],
        ["steps", str(summary["step"])],
        ["device", str(summary["device"])],
    ]
    # the net's figures first, the clock last; a figure the run does not measure (accuracy of a regression) is left out
    for name in sorted(SUMMARY, key=lambda n: BY_NAME[n].unit == "s"):
        if name not in summary["figures"]:
            continue
        value, step = summary["figures"][name]
        metric = BY_NAME[name]
        shown = _percent(value) if metric.unit == "share" else _number(value)
        if metric.unit == "s" and value is not None:
            shown += " s"
        at = f" (at step {step})" if step != summary["step"] and value is not None else ""
        rows.append([metric.label, shown + at])
    if summary.get("reason"):
        rows.append(["note", summary["reason"]])
    _print_rows(rows)


def _print_rows(rows: Iterable[list[str]]) -> None:
    rows = list(rows)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _fail(message: str) -> int:
    print(f"glassnet: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
