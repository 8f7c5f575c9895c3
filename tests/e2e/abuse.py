"""The prod stack the hostile-client modules share (test_abuse_apps, test_abuse_proxy), and HTTPS to it.

Deployed once per session (``abuse_prod`` in conftest.py) as ``prod-abuse``: its own Docker names,
ports 2860x, TLS with a throwaway certificate for ``localhost``. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import secrets
import socket
import ssl
from pathlib import Path

from deploy import Deployment, claim_stack
from stack import self_signed_cert

STACK = "prod-abuse"
HTTP_PORT, HTTPS_PORT = 28601, 28602
NAME = "localhost"


def deploy(tmp: Path) -> Deployment:
    """``prod`` under STACK with a throwaway certificate, deployed; the caller tears it down."""
    claim_stack(STACK)
    cert, key = self_signed_cert(tmp)
    run = Deployment(
        "prod",
        tmp,
        name=STACK,
        overrides={
            "publicUrl": f"https://{NAME}:{HTTPS_PORT}",
            "proxy": {"httpPort": HTTP_PORT, "httpsPort": HTTPS_PORT, "serverName": NAME},
        },
        secrets_={
            "postgresPassword": secrets.token_urlsafe(18),
            "redisPassword": secrets.token_urlsafe(18),
            "tlsCertificate": cert,
            "tlsPrivateKey": key,
        },
    )
    run.first = run.up()
    return run


def https_connection(timeout: float = 10) -> http.client.HTTPConnection:
    """A keep-alive HTTPS connection to the proxy's published port, SNI ``localhost`` (as a browser's)."""
    context = ssl._create_unverified_context()  # the throwaway self-signed certificate
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=timeout)
    conn = http.client.HTTPConnection(NAME, HTTPS_PORT, timeout=timeout)
    conn.sock = context.wrap_socket(raw, server_hostname=NAME)
    return conn
