"""`python -m app`: validate settings, then serve with uvicorn.

Settings are checked here first so a missing one ends the process with a single line naming
it, instead of a traceback from every worker.
"""

from __future__ import annotations

import sys

import uvicorn

from app.core.config import ConfigError, get_settings
from app.server import NoDelayHttpToolsProtocol


def main() -> int:
    try:
        settings = get_settings()
    except ConfigError as error:
        print(f"standard-stack-api: {error}", file=sys.stderr)
        return 2
    uvicorn.run(
        "app.main:app",
        host="0.0.0.0",
        port=settings.api_port,
        workers=settings.api_workers,
        http=NoDelayHttpToolsProtocol,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=settings.api_graceful_shutdown_seconds,
        server_header=False,
        access_log=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
