"""The package's provider serves the components and the one-shot runs they register.

A one-shot run (``standard_stack.one_shot.OneShot``) is a dynamic resource in a Python program, run by the
CLI's ``pulumi-resource-pulumi-python``, which needs the program's Python virtualenv: a program in another
language has none. While this provider constructs components (``Construct``), ``one_shot.IN_PACKAGE`` makes
each run a custom resource of this package, ``standard-stack:index:OneShot``, with the same props, and this
provider answers Check/Diff/Create/Read/Update/Delete for it with ``OneShotProvider``, as Pulumi's dynamic
provider does (pulumi 3.260.0, ``pulumi/dynamic/__main__.py``).

This provider accepts secrets (``ProviderServicer.Configure``), so secrets arrive marked, pushed up to the
property they are in (``rpc.deserialize_properties``): they are unwrapped for ``OneShotProvider`` and each
such property goes back marked, as the engine marks a provider's outputs that does not accept them
(``annotateSecrets``, sdk/go/common/resource/plugin/provider_plugin.go); ``files`` always goes back secret,
so no file a run loads is in the state in plain text.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import grpc  # type: ignore[import-untyped]
import grpc.aio  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from pulumi.provider.provider import Provider
from pulumi.provider.server import ProviderServicer
from pulumi.runtime import proto, rpc
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from ..one_shot import IN_PACKAGE, EngineError, OneShotProvider, PackageResource

ALWAYS_SECRET = frozenset({"files"})
"""Properties returned secret whether or not they came so: file content (passwords, keys)."""


def _type_of(request: Any) -> str:
    """The request's resource type (``type``, or the last type of its URN for an engine that sends none)."""
    return str(request.type or request.urn.split("::")[2].split("$")[-1])


def _open(struct: struct_pb2.Struct, keep_unknowns: bool = False) -> tuple[dict[str, Any], set[str]]:
    """Properties with their secrets unwrapped, and the names of those that were secret."""
    props = rpc.deserialize_properties(struct, keep_unknowns)
    secret = {key for key, value in props.items() if rpc.is_rpc_secret(value)}
    return {key: rpc.unwrap_rpc_secret(value) for key, value in props.items()}, secret


async def _sealed(props: dict[str, Any], secret: set[str]) -> struct_pb2.Struct:
    """``props`` serialized, those named in ``secret`` and ``ALWAYS_SECRET`` marked secret."""
    marked = {
        key: rpc.wrap_rpc_secret(value) if key in secret or (key in ALWAYS_SECRET and value) else value
        for key, value in props.items()
    }
    return await rpc.serialize_properties(marked, {})


class OneShotServicer(ProviderServicer):
    """``ProviderServicer`` (Construct, Call, Invoke) that also serves ``package.type_`` with ``OneShotProvider``.

    The runs block for as long as a container runs: each goes to a thread, so the Construct waiting for
    it (and any other request) is still served. Responses are typed ``Any``: protobuf's messages are untyped."""

    def __init__(self, provider: Provider, args: list[str], engine_address: str, package: PackageResource) -> None:
        super().__init__(provider, args, engine_address)
        self.package = package
        self.one_shots = OneShotProvider()

    async def Construct(self, request: proto.ConstructRequest, context: Any) -> proto.ConstructResponse:
        IN_PACKAGE.set(self.package)  # this request's context, which the tasks it creates copy
        return await super().Construct(request, context)

    async def _serve(self, request: Any, context: Any, answer: Callable[[], Awaitable[Any]]) -> Any:
        if _type_of(request) != self.package.type_:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown resource type {_type_of(request)!r}")
        try:
            return await answer()
        except EngineError as error:  # a run that failed: its description, consequence and log
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        except Exception:  # as the dynamic provider: the traceback to the engine
            await context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())

    async def Check(self, request: proto.CheckRequest, context: Any) -> Any:
        async def answer() -> Any:
            olds, _ = _open(request.olds, keep_unknowns=True)
            news, secret = _open(request.news, keep_unknowns=True)
            result = self.one_shots.check(olds, news)
            failures = [proto.CheckFailure(property=f.property, reason=f.reason) for f in result.failures]
            return proto.CheckResponse(inputs=await _sealed(result.inputs, secret), failures=failures)

        return await self._serve(request, context, answer)

    async def Diff(self, request: proto.DiffRequest, context: Any) -> Any:
        async def answer() -> Any:
            olds, _ = _open(request.olds, keep_unknowns=True)
            news, _ = _open(request.news, keep_unknowns=True)
            result = self.one_shots.diff(request.id, olds, news)
            fields: dict[str, Any] = {
                "changes": proto.DiffResponse.DIFF_UNKNOWN
                if result.changes is None
                else proto.DiffResponse.DIFF_SOME
                if result.changes
                else proto.DiffResponse.DIFF_NONE
            }
            if result.replaces is not None:
                fields["replaces"] = result.replaces
            if result.delete_before_replace is not None:
                fields["deleteBeforeReplace"] = result.delete_before_replace
            return proto.DiffResponse(**fields)

        return await self._serve(request, context, answer)

    async def Create(self, request: proto.CreateRequest, context: Any) -> Any:
        async def answer() -> Any:
            props, secret = _open(request.properties)
            result = await asyncio.to_thread(self.one_shots.create, props)
            return proto.CreateResponse(id=result.id, properties=await _sealed(result.outs or {}, secret))

        return await self._serve(request, context, answer)

    async def Read(self, request: proto.ReadRequest, context: Any) -> Any:
        async def answer() -> Any:
            props, secret = _open(request.properties)
            result = self.one_shots.read(request.id, props)
            response = proto.ReadResponse(id=result.id or "", properties=await _sealed(result.outs or {}, secret))
            if result.inputs is not None:
                response.inputs.CopyFrom(await _sealed(result.inputs, secret))
            return response

        return await self._serve(request, context, answer)

    async def Update(self, request: proto.UpdateRequest, context: Any) -> Any:
        async def answer() -> Any:
            olds, _ = _open(request.olds)
            news, secret = _open(request.news)
            result = await asyncio.to_thread(self.one_shots.update, request.id, olds, news)
            return proto.UpdateResponse(properties=await _sealed(result.outs or {}, secret))

        return await self._serve(request, context, answer)

    async def Delete(self, request: proto.DeleteRequest, context: Any) -> Any:
        async def answer() -> Any:
            props, _ = _open(request.properties)
            await asyncio.to_thread(self.one_shots.delete, request.id, props)
            return empty_pb2.Empty()

        return await self._serve(request, context, answer)


def main(provider: Provider, args: list[str], package: PackageResource) -> None:
    """``pulumi.provider.main`` (pulumi 3.260.0, ``pulumi/provider/server.py``) serving ``OneShotServicer``:
    the port it listens on goes to stdout, for the engine."""
    parser = argparse.ArgumentParser(description="Pulumi provider plugin (gRPC server)")
    parser.add_argument("engine", help="Pulumi engine address")
    parser.add_argument("--logflow", action="store_true", help="Currently ignored")
    parser.add_argument("--logtostderr", action="store_true", help="Currently ignored")
    engine_address: str = parser.parse_known_args(args)[0].engine

    async def serve() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(OneShotServicer(provider, args, engine_address, package), server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
