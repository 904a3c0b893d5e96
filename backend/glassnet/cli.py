"""Command line: `glassnet serve`, `glassnet run CONFIG.json`, `glassnet runs`, `glassnet lessons`,
`glassnet openapi`."""

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

    from glassnet.data import tabular
    from glassnet.runs.export import metrics_csv
    from glassnet.runs.history import History
    from glassnet.train.driver import ByClock, Callbacks, Ending, drive
    from glassnet.train.loop import Trainer
    from glassnet.train.probe import Reading

    settings = Settings()
    torch.set_num_threads(settings.torch_threads)  # as in the server's workers: small nets run best on one
    tabular.set_uploads_dir(settings.data_dir / "datasets")  # a config may name a dataset uploaded there
    trainer = Trainer(config)
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
        share = min(1.0, step / self.total)
        bar = "#" * round(share * self.width)
        train, test = figures.get("train_loss", (None, 0))[0], figures.get("test_loss", (None, 0))[0]
        line = (
            f"[{bar:<{self.width}}] {share:4.0%} step {step}/{self.total}  train {_number(train)}  test {_number(test)}"
        )
        if self.tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif time.monotonic() - self.last_line > 2 or step >= self.total:
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
