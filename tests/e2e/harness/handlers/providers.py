"""Explicit provider resources: accepted only when they point at the engine the harness drives."""

from __future__ import annotations

from ..wire import InputError
from .base import Applied, Context, Handler

LOCAL_HOSTS = {None, "", "unix:///var/run/docker.sock"}


class DockerProviderHandler(Handler):
    token = "pulumi:providers:docker"
    known = frozenset({"host", "version"})

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        if inputs.get("host") not in LOCAL_HOSTS:
            raise InputError(
                f"docker provider '{name}': host {inputs.get('host')!r}: the harness applies to the local engine only"
            )
        return Applied(f"provider-{name}", dict(inputs))

    def delete(self, ctx: Context, record: dict) -> None:
        """Nothing to remove."""


class RandomProviderHandler(DockerProviderHandler):
    token = "pulumi:providers:random"
    known = frozenset({"version"})
