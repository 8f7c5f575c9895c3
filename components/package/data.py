"""PostgresService and RedisService as package components: the library's classes with typed inputs.

Each class subclasses the library's component, so it registers the same type token
(``standard-stack:index:PostgresService``) as a Python program's component: one resource, no wrapper
in between. No ``from __future__ import annotations``: the analyzer reads annotations as objects.
"""

from typing import NotRequired, TypedDict

import pulumi

from .. import postgres as _postgres
from .. import redis as _redis
from .convert import library_args
from .inputs import AppDatabaseArgs, AppDatabaseConnection, PostgresBackupArgs, ResourcesArgs, RuntimeArgs


class PostgresServiceArgs(TypedDict):
    """Inputs of a PostgresService."""

    network: pulumi.Input[str]
    """Backend network name (a StackNetworks' backend output)."""
    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack."""
    image: NotRequired[str]
    """Pinned official postgres image reference."""
    database: NotRequired[str]
    """Database created on first start, owned by user."""
    user: NotRequired[str]
    """Owner role of database: an ordinary role, not a superuser."""
    password: NotRequired[pulumi.Input[str]]
    """Password (secret); generated when not given."""
    alias: NotRequired[str]
    """Host name on the backend network."""
    host_port: NotRequired[int]
    """Publish on 127.0.0.1 at this port (dev tools only)."""
    init_sql: NotRequired[dict[str, str]]
    """File name -> SQL run on first start."""
    resources: NotRequired[ResourcesArgs]
    """Container limits."""
    protect_data: NotRequired[bool]
    """Protect and retain the data volume."""
    docker_name: NotRequired[str]
    """Name in the volumes' Docker names; unset: the resource name. Keep the old one when renaming."""
    backup: NotRequired[PostgresBackupArgs]
    """Scheduled backups into their own volume; unset: none."""
    app_databases: NotRequired[dict[str, AppDatabaseArgs]]
    """App name -> a database and role of its own (its connection: connections output); removal keeps the data."""


class PostgresService(_postgres.PostgresService):
    """PostgreSQL on a named volume, reachable only on the backend network, its password delivered as a file."""

    host: pulumi.Output[str]
    """Host name on the backend network."""
    port: pulumi.Output[int]
    """Port on the backend network."""
    database: pulumi.Output[str]
    """Database name."""
    user: pulumi.Output[str]
    """Owner role."""
    password: pulumi.Output[str]
    """Password of the owner role (secret)."""
    url: pulumi.Output[str]
    """postgresql:// connection URL (secret)."""
    container_name: pulumi.Output[str]
    """Docker name of the server container."""
    connections: pulumi.Output[dict[str, AppDatabaseConnection]]  # type: ignore[assignment]
    """App name -> its own database's connection (of appDatabases)."""

    def __init__(self, name: str, args: PostgresServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_postgres.PostgresServiceArgs, "PostgresService", name, args), opts)
        self.container_name = self.container.name


class RedisServiceArgs(TypedDict):
    """Inputs of a RedisService."""

    network: pulumi.Input[str]
    """Backend network name (a StackNetworks' backend output)."""
    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack."""
    image: NotRequired[str]
    """Pinned official redis image reference."""
    password: NotRequired[pulumi.Input[str]]
    """Password (secret); generated when not given."""
    maxmemory: NotRequired[str]
    """Memory for data, e.g. 256Mi."""
    maxmemory_policy: NotRequired[str]
    """Eviction policy, e.g. allkeys-lru or noeviction."""
    alias: NotRequired[str]
    """Host name on the backend network."""
    host_port: NotRequired[int]
    """Publish on 127.0.0.1 at this port (dev tools only)."""
    resources: NotRequired[ResourcesArgs]
    """Container limits."""
    protect_data: NotRequired[bool]
    """Protect and retain the data volume."""


class RedisService(_redis.RedisService):
    """Redis with a password and append-only persistence, reachable only on the backend network."""

    host: pulumi.Output[str]
    """Host name on the backend network."""
    port: pulumi.Output[int]
    """Port on the backend network."""
    password: pulumi.Output[str]
    """Password (secret)."""
    url: pulumi.Output[str]
    """redis:// connection URL (secret)."""
    container_name: pulumi.Output[str]
    """Docker name of the server container."""

    def __init__(self, name: str, args: RedisServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_redis.RedisServiceArgs, "RedisService", name, args), opts)
        self.container_name = self.container.name
