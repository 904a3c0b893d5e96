"""A real `glassnet serve` in a subprocess, for the browser, client and CLI tests."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerUrl(str):
    """The server's base URL, carrying its process (for tests that kill it)."""

    process: subprocess.Popen


@contextmanager
def running_server(artifacts: Path, name: str, **env: str) -> Iterator[ServerUrl]:
    """`glassnet serve` on a free port, with its own data dir; its log goes to test-artifacts/<name>.log."""
    # the built UI: the package's, or the one GLASSNET_STATIC_DIR names (the server reads the same variable)
    ui_dir = env.get("GLASSNET_STATIC_DIR") or os.environ.get("GLASSNET_STATIC_DIR")
    static = (Path(ui_dir) if ui_dir else ROOT / "backend" / "glassnet" / "static") / "index.html"
    if not static.is_file():
        pytest.fail(f"the UI is not built ({static} is missing): run `make ui` (make test does)")
    port = free_port()
    env = {**os.environ, "GLASSNET_WORKERS": "1", "GLASSNET_DATA_DIR": str(artifacts / f"{name}-data"), **env}
    log_path = artifacts / f"{name}.log"
    # a file, not a pipe (an unread pipe blocks the server once full); appended, so a restart keeps the log
    log = log_path.open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "glassnet.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = ServerUrl(f"http://127.0.0.1:{port}")
    url.process = process
    headers = {"Authorization": f"Bearer {env['GLASSNET_TOKEN']}"} if "GLASSNET_TOKEN" in env else {}
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1, headers=headers).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
