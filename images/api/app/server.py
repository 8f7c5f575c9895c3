"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

With more than one worker uvicorn binds the listening socket itself with ``proto=0``, and
asyncio only sets TCP_NODELAY on sockets whose ``proto`` is IPPROTO_TCP; keep-alive responses
then wait for the peer's delayed ACK (~40 ms each). nginx's upstream keepalive pool would pay
that on every proxied request (uvicorn issue #3149).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
