"""`python -m app`: validate settings, then serve with uvicorn.

Settings are checked here first so a missing one ends the process with a single line naming
it, instead of a traceback from every worker.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

import uvicorn

from app.core.config import ConfigError, Settings, get_settings
from app.server import NoDelayHttpToolsProtocol


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run() keyword arguments for these settings (the tests start servers with them too)."""
    return {
        "host": "0.0.0.0",
        "port": settings.api_port,
        "workers": settings.api_workers,
        "http": NoDelayHttpToolsProtocol,
        "log_level": settings.log_level,
        # X-Forwarded-For/-Proto are honoured only from FORWARDED_ALLOW_IPS (uvicorn wraps the app in
        # its ProxyHeadersMiddleware, uvicorn/config.py Config.load); access-log lines then show the
        # client the proxy saw, with port 0.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": settings.api_graceful_shutdown_seconds,
        "server_header": False,
        "access_log": True,
    }


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> int:
    try:
        settings = get_settings()
    except ConfigError as error:
        print(f"standard-stack-api: {error}", file=sys.stderr)
        return 2
    # SIGTERM is how Docker asks the container to stop, so a drained shutdown exits 0. With one
    # worker uvicorn handles SIGTERM, drains, restores the handler it found and raises the signal
    # again (uvicorn/server.py, Server.capture_signals): without this handler the process would
    # then die of SIGTERM (exit status 143 under an init) although it stopped cleanly. With several
    # workers the supervisor stops them and returns normally (supervisors/multiprocess.py,
    # Multiprocess.run). A SIGTERM that arrives before uvicorn has started also exits at once.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run("app.main:app", **server_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
