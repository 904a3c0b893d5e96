"""Command line: `glassnet serve` (more commands come with the run service)."""

import argparse

from glassnet import __version__
from glassnet.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="glassnet", description="Glassnet: watch neural networks learn.")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the UI and the API")
    serve.add_argument("--host", help="address to listen on (GLASSNET_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (GLASSNET_PORT, default 8000)")
    commands.add_parser("openapi", help="print the OpenAPI schema (the frontend's types are generated from it)")
    args = parser.parse_args(argv)

    if args.command == "openapi":
        import json

        from glassnet.api.app import create_app

        print(json.dumps(create_app().openapi(), indent=2, sort_keys=True))

    if args.command == "serve":
        import uvicorn

        from glassnet.api.app import create_app

        overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
        settings = Settings(**overrides)
        print(f"Glassnet {__version__} on http://{settings.host}:{settings.port}")
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
