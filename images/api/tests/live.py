"""`python -m app` as a real process on loopback, as the image runs it (uvicorn, workers, signals)."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import port_for

from app.core.config import Settings
from tests.conftest import API_DIR
from tests.test_migrations import cli_env


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen[bytes]
    output: str = ""

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = self.connection()
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> int:
        """SIGTERM, as `docker stop` sends it; returns the exit status and keeps the output."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.output += self.process.communicate(timeout=30)[0].decode()
        return self.process.returncode


@contextmanager
def live_server(settings: Settings, **env: str) -> Iterator[LiveServer]:
    """Start `python -m app` with the settings (plus extra environment) and wait until /health answers."""
    port = port_for.select_random()
    variables = cli_env(settings) | {"API_PORT": str(port), "REDIS_PORT": str(settings.redis_port)} | env
    process = subprocess.Popen(
        [sys.executable, "-m", "app"], cwd=API_DIR, env=variables, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = LiveServer(port, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if server.get("/health")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise AssertionError(f"server did not start:\n{server.output}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
