"""Input types of the component package, in the shape Pulumi's component analyzer reads.

The analyzer (pulumi 3.260.0, ``pulumi/provider/experimental/analyzer.py``, ``Analyzer.analyze_type``)
reads ``inspect.get_annotations`` without evaluating strings, so this module must not use
``from __future__ import annotations``; it supports ``str``/``int``/``bool``, ``pulumi.Input[T]``,
``list``/``dict[str, T]``, nested TypedDicts and ``NotRequired`` (``analyze_property``), and takes
each key's description from the string literal under it (``get_docstring``). A plain type means a
value known before deployment (``plain: true`` in the schema); ``pulumi.Input`` accepts another
resource's output. Keys are the library's pydantic field names, so the schema's camelCase names
map straight onto them. Defaults are not written here: the schema shows the models' (``models.py``).
"""

from typing import NotRequired, TypedDict

import pulumi


class LogRotationArgs(TypedDict):
    """json-file log rotation of every long-running container."""

    max_size: NotRequired[str]
    """Rotate at this size, e.g. 10m, 100k, 1g."""
    max_file: NotRequired[int]
    """Rotated files kept."""


class RuntimeArgs(TypedDict):
    """Operational settings every long-running container of a stack shares."""

    project: NotRequired[str]
    """First part of every Docker object name; unset: the deploying program's Pulumi project."""
    stack: NotRequired[str]
    """Second part of every Docker object name; unset: the deploying program's Pulumi stack."""
    restart: NotRequired[str]
    """Restart policy: no, on-failure, always or unless-stopped."""
    logging: NotRequired[LogRotationArgs]
    """json-file log rotation."""
    stop_grace_seconds: NotRequired[int]
    """Seconds a container gets to stop before it is killed."""
    platform: NotRequired[str]
    """Platform of the Docker host, e.g. linux/arm64: images are built and pulled for it."""
    docker_host: NotRequired[str]
    """The engine one-shot runs go to when the program gives the docker provider its own host (a docker.Provider);
    unset: docker:host, else DOCKER_HOST, else the local socket, as for the docker provider a program does not give."""


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
    """Absolute path of the Dockerfile; unset: <context>/Dockerfile."""
    target: NotRequired[str]
    """Build stage; unset: the Dockerfile's last (production) stage."""
    args: NotRequired[dict[str, str]]
    """Build arguments."""


class OwnSettingsArgs(TypedDict):
    """What a preset (PythonApi, NextApp) takes of the app's own, as App does: env and secrets."""

    env: NotRequired[dict[str, pulumi.Input[str]]]
    """More plain environment variables (values or outputs); never secrets."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """More secrets: name -> value (kept secret), each the root-owned 0440 file /run/secrets/<name>."""
    secrets_as_env: NotRequired[bool]
    """Also set each of secrets as an environment variable of the app's own process, read from its file at start
    by an exec wrapper (never in the container's config)."""


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
    """/api/items reaches the upstream as /items."""
    websocket: NotRequired[bool]
    """Pass Upgrade/Connection for websockets."""


class UpstreamArgs(TypedDict):
    """The container a route's network alias stands for now: a PythonApi's or NextApp's upstream output."""

    host: pulumi.Input[str]
    """Container name (Docker's DNS resolves it, also after a restart)."""
    address: pulumi.Input[str]
    """IPv4 address on the proxy's network when it was deployed (nginx's backup until it resolves the name)."""


class PostgresBackupArgs(TypedDict):
    """Scheduled pg_dump of every database into a backup volume."""

    interval_minutes: NotRequired[int]
    """Minutes between runs, the first at start."""
    keep_count: NotRequired[int]
    """Dumps kept per database; the newest is always kept."""
    keep_days: NotRequired[int]
    """Dumps older than this are removed, except the newest."""
    copy_to: NotRequired[str]
    """Host directory each dump is also copied to (bind mount; uid 999 writes)."""
    resources: NotRequired[ResourcesArgs]
    """Limits of the backup container."""


class AppDatabaseArgs(TypedDict):
    """A database of one app's own on the server, owned by an ordinary role of its own (no superuser)."""

    database: str
    """Database name (lowercase letters, digits, _)."""
    user: str
    """The app's role (lowercase letters, digits, _); owns the database."""
    password: NotRequired[pulumi.Input[str]]
    """Password (secret); generated when not given. A change is applied in place."""


class AppDatabaseConnection(TypedDict):
    """What one app needs to reach its own database: a PostgresService's connections output, per app."""

    host: str
    """Host name on the backend network."""
    port: int
    """Port on the backend network."""
    database: str
    """The app's database."""
    user: str
    """The app's role."""
    password: str
    """Password of the app's role (secret)."""
    url: str
    """postgresql:// connection URL (secret): the app's DATABASE_URL."""


class AcmeArgs(TypedDict):
    """Obtain and renew the proxy's certificate over ACME HTTP-01."""

    domain: str
    """The one DNS name the certificate is for (the proxy's serverName)."""
    directory_url: NotRequired[str]
    """The ACME server's directory URL."""
    email: NotRequired[str]
    """Contact address given to the ACME server; unset: none."""
    renew_before_days: NotRequired[int]
    """Renew when the certificate expires within this many days (1-60)."""
    check_interval_minutes: NotRequired[int]
    """Minutes between expiry checks (1-10080)."""
    ca_certificate: NotRequired[str]
    """PEM of the CA behind the ACME server's HTTPS (private servers); unset: the system's CAs."""
    protect: NotRequired[bool]
    """Protect the certificate volume from deletion (a new certificate counts against the CA's rate limits)."""


class HealthCheckArgs(TypedDict):
    """How Docker tells the app is ready: an HTTP GET of httpPath on the app's port, or command."""

    http_path: NotRequired[str]
    """e.g. /health/ (needs port)."""
    prober: NotRequired[str]
    """The program in the image that runs the HTTP probe: python3, python, node, wget or curl."""
    command: NotRequired[list[str]]
    """Exec form, run in the container; exit 0 is healthy (instead of httpPath)."""
    interval: NotRequired[str]
    """Between probes, e.g. 5s, 1m30s."""
    timeout: NotRequired[str]
    """A probe taking longer fails."""
    start_period: NotRequired[str]
    """Failures while the app starts do not count."""
    retries: NotRequired[int]
    """Failed probes in a row that make it unhealthy, 1-100."""


class AppJobArgs(TypedDict):
    """A one-shot command in the app's image, run before each new release starts (a migration)."""

    command: list[str]
    """e.g. ["alembic", "upgrade", "head"]; a non-zero exit fails the deploy with its log."""
    name: NotRequired[str]
    """Resource name suffix: <app>-<name>."""
    what: NotRequired[str]
    """Names the job in a failure's message, e.g. 'database migration'."""
    component: NotRequired[str]
    """Its component label; unset: <app component>-<name>."""
    networks: NotRequired[list[pulumi.Input[str]]]
    """Networks it joins; unset: the app's."""
    tmpfs: NotRequired[dict[str, str]]
    """Path -> Docker tmpfs options."""
