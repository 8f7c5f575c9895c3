"""The API's uvicorn protocol turns Nagle's algorithm off even on sockets uvicorn binds itself."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.server import NoDelayHttpToolsProtocol


async def _app(scope, receive, send):  # a minimal ASGI app; the protocol is under test, not the app
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def nodelay_of_accepted_connection(protocol_class: type[HttpToolsProtocol]) -> int:
    """TCP_NODELAY of the server side of one connection, on a listener bound like uvicorn's workers bind it."""
    config = Config(app=_app, http=protocol_class, log_level="warning")
    config.load()
    state = ServerState()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto=0, as uvicorn's bind_socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    created: list[HttpToolsProtocol] = []

    def factory() -> HttpToolsProtocol:
        created.append(protocol_class(config=config, server_state=state, app_state={}))
        return created[-1]

    server = await asyncio.get_running_loop().create_server(factory, sock=listener)
    try:
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        sock = created[0].transport.get_extra_info("socket")
        value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        return value
    finally:
        server.close()


def test_stock_protocol_leaves_nagle_on_for_sockets_bound_with_proto_zero():
    """The control: this is uvicorn's behaviour with several workers (keep-alive responses wait ~40 ms)."""
    assert asyncio.run(nodelay_of_accepted_connection(HttpToolsProtocol)) == 0


def test_api_protocol_sets_tcp_nodelay_on_every_connection():
    assert asyncio.run(nodelay_of_accepted_connection(NoDelayHttpToolsProtocol)) != 0
