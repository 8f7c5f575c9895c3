"""Input types of the component package, in the shape Pulumi's component analyzer reads.

The analyzer (pulumi 3.260.0, ``pulumi/provider/experimental/analyzer.py``, ``Analyzer.analyze_type``)
reads ``inspect.get_annotations`` without evaluating strings, so this module must not use
``from __future__ import annotations``; it supports ``str``/``int``/``bool``, ``pulumi.Input[T]``,
``list``/``dict[str, T]``, nested TypedDicts and ``NotRequired`` (``analyze_property``), and takes
each key's description from the string literal under it (``get_docstring``). A plain type means a
value known before deployment (``plain: true`` in the schema); ``pulumi.Input`` accepts another
resource's output. Keys are the library's pydantic field names, so the schema's camelCase names
map straight onto them.
"""

from typing import NotRequired, TypedDict

import pulumi


class LogRotationArgs(TypedDict):
    """json-file log rotation of every long-running container."""

    max_size: NotRequired[str]
    """Rotate at this size, e.g. 10m, 100k, 1g (default 10m)."""
    max_file: NotRequired[int]
    """Rotated files kept (default 3)."""


class RuntimeArgs(TypedDict):
    """Operational settings every long-running container of a stack shares."""

    project: NotRequired[str]
    """First part of every Docker object name (default: the Pulumi project)."""
    stack: NotRequired[str]
    """Second part of every Docker object name (default: the Pulumi stack)."""
    restart: NotRequired[str]
    """Restart policy: no, on-failure, always or unless-stopped (default unless-stopped)."""
    logging: NotRequired[LogRotationArgs]
    """Log rotation (default 10m, 3 files)."""
    stop_grace_seconds: NotRequired[int]
    """Seconds a container gets to stop before it is killed (default 20)."""
    platform: NotRequired[str]
    """Platform of the Docker host, e.g. linux/amd64 (default linux/amd64)."""


class ResourcesArgs(TypedDict):
    """Limits for one container; unset means unlimited."""

    memory: NotRequired[str]
    """Hard memory limit, e.g. 512Mi."""
    memory_reservation: NotRequired[str]
    """Soft memory reservation, e.g. 256Mi."""
    cpus: NotRequired[str]
    """CPU limit, e.g. 0.5 or 1.5."""


class ImageBuildArgs(TypedDict):
    """Where an app image is built from."""

    context: str
    """Absolute path of the build context (the provider runs in its own directory; in YAML: ${pulumi.cwd}/...)."""
    dockerfile: NotRequired[str]
    """Absolute path of the Dockerfile (default <context>/Dockerfile)."""
    target: NotRequired[str]
    """Build stage (default the Dockerfile's last stage)."""
    args: NotRequired[dict[str, str]]
    """Build arguments."""


class DatabaseConnectionArgs(TypedDict):
    """How the API reaches PostgreSQL: a PostgresService's outputs."""

    host: pulumi.Input[str]
    """Host name on the backend network."""
    port: pulumi.Input[int]
    """Port."""
    database: pulumi.Input[str]
    """Database name."""
    user: pulumi.Input[str]
    """Role name."""
    password: pulumi.Input[str]
    """Password (secret)."""


class RedisConnectionArgs(TypedDict):
    """How the API reaches Redis: a RedisService's outputs."""

    host: pulumi.Input[str]
    """Host name on the backend network."""
    port: pulumi.Input[int]
    """Port."""
    password: pulumi.Input[str]
    """Password (secret)."""


class ProxyRouteArgs(TypedDict):
    """One path prefix forwarded to one upstream."""

    path_prefix: str
    """URL prefix, starts and ends with "/", e.g. "/" or "/api/"."""
    upstream_host: str
    """Network alias such as "api", or an IPv4 address."""
    upstream_port: int
    """Upstream port (1-65535)."""
    strip_prefix: NotRequired[bool]
    """/api/items reaches the upstream as /items (default false)."""
    websocket: NotRequired[bool]
    """Pass Upgrade/Connection for websockets (default true)."""


class UpstreamArgs(TypedDict):
    """The container a route's network alias stands for now: a PythonApi's or NextApp's upstream output."""

    host: pulumi.Input[str]
    """Container name (Docker's DNS resolves it, also after a restart)."""
    address: pulumi.Input[str]
    """IPv4 address on the proxy's network when it was deployed (nginx's backup until it resolves the name)."""


class PostgresBackupArgs(TypedDict):
    """Scheduled pg_dump of every database into a backup volume."""

    interval_minutes: NotRequired[int]
    """Minutes between runs, the first at start (default 1440)."""
    keep_count: NotRequired[int]
    """Dumps kept per database; the newest is always kept (default 14)."""
    keep_days: NotRequired[int]
    """Dumps older than this are removed, except the newest (default 30)."""
    copy_to: NotRequired[str]
    """Host directory each dump is also copied to (bind mount; uid 999 writes)."""
    resources: NotRequired[ResourcesArgs]
    """Limits of the backup container (default 256Mi, 0.5 CPU)."""
