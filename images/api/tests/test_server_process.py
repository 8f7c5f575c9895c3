"""`python -m app` as the container runs it: real client addresses in the log, and a clean stop."""

from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from app.core.config import Settings
from tests.live import live_server

FORWARDED = {"X-Forwarded-For": "203.0.113.9"}


PROBE = "/health?probe=forwarded"  # told apart from the start-up polling of /health


def access_log_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if f'"GET {PROBE} HTTP/1.1" 200' in line]


def test_a_trusted_proxy_s_forwarded_client_address_is_logged(migrated: Settings) -> None:
    with live_server(migrated, FORWARDED_ALLOW_IPS="127.0.0.0/8") as server:
        server.get(PROBE, FORWARDED)
        server.stop()

    [line] = access_log_lines(server.output)
    assert "203.0.113.9:0 - " in line


def test_an_untrusted_peer_s_forwarded_header_is_ignored(migrated: Settings) -> None:
    with live_server(migrated, FORWARDED_ALLOW_IPS="192.0.2.0/24") as server:
        server.get(PROBE, FORWARDED)
        server.stop()

    [line] = access_log_lines(server.output)
    assert "127.0.0.1:" in line and "203.0.113.9" not in line


def test_a_client_cannot_choose_its_logged_address_through_a_trusted_proxy(migrated: Settings) -> None:
    """nginx appends the address it saw to whatever X-Forwarded-For the client sent; the API takes
    the last hop it does not trust, not the client's own first entry."""
    with live_server(migrated, FORWARDED_ALLOW_IPS="127.0.0.0/8") as server:
        server.get(PROBE, {"X-Forwarded-For": "198.51.100.66, 203.0.113.9"})
        server.stop()

    [line] = access_log_lines(server.output)
    assert "203.0.113.9:0 - " in line and "198.51.100.66" not in line


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_an_in_flight_request_finish_then_exits_0(migrated: Settings, workers: str) -> None:
    """What `docker stop` does: SIGTERM to the main process only. A request whose body is still
    arriving is answered; then every process exits and the main one reports success."""
    body = json.dumps({"name": "sent across a stop", "description": None}).encode()
    head = (
        b"POST /items HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    with live_server(migrated, API_WORKERS=workers) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
            sock.sendall(head + body[:10])
            time.sleep(1)  # let a worker parse the head: the request is now in flight
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1)  # the worker is draining
            sock.sendall(body[10:])
            response = sock.makefile("rb").read()  # until the server closes the connection
        status = server.stop()

    assert response.startswith(b"HTTP/1.1 201 "), response
    assert b'"name":"sent across a stop"' in response
    assert status == 0, server.output
    assert server.output.count("Finished server process") == int(workers), server.output
