"""PythonApi and NextApp as package components: the library's classes with typed inputs.

Build contexts must be absolute (the provider's working directory is its own, not the program's).
Releases: the package always builds and runs the current sources; pinning an earlier release needs
the stack's release history, which only the standard-stack program keeps.
"""

from typing import NotRequired

import pulumi

from .. import next_app as _next_app
from .. import python_api as _python_api
from .convert import library_args
from .inputs import (
    DatabaseConnectionArgs,
    ImageBuildArgs,
    OwnSettingsArgs,
    RedisConnectionArgs,
    ResourcesArgs,
    RuntimeArgs,
    UpstreamArgs,
)


class PythonApiArgs(OwnSettingsArgs):
    """Inputs of a PythonApi."""

    build: ImageBuildArgs
    """Where the API image is built from (images/api of this repository, or your own app)."""
    database: DatabaseConnectionArgs
    """A PostgresService's host, port, database, user and password."""
    redis: RedisConnectionArgs
    """A RedisService's host, port and password."""
    frontend_network: pulumi.Input[str]
    """Frontend network name (the proxy reaches the API there)."""
    backend_network: pulumi.Input[str]
    """Backend network name (the data services are there)."""
    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack."""
    python_version: NotRequired[str]
    """PYTHON_VERSION build argument."""
    registry: NotRequired[str]
    """Push the image to this registry; unset: local image only."""
    alias: NotRequired[str]
    """Host name on both networks."""
    app_env: NotRequired[str]
    """APP_ENV of the API."""
    log_level: NotRequired[str]
    """LOG_LEVEL of the API."""
    workers: NotRequired[int]
    """Worker processes."""
    root_path: NotRequired[str]
    """Public path prefix the proxy serves the API under."""
    trusted_proxies: NotRequired[pulumi.Input[str]]
    """Addresses or CIDRs whose X-Forwarded-For the API believes (a StackNetworks' frontendSubnet)."""
    migrate_command: NotRequired[list[str]]
    """Migration run once per deploy before the API starts."""
    resources: NotRequired[ResourcesArgs]
    """Container limits."""


class PythonApi(_python_api.PythonApi):
    """The Python API: built from its sources, migrated once per deploy, replaced without downtime."""

    url: pulumi.Output[str]
    """Internal URL, e.g. http://api:8000."""
    alias: str
    """Host name on both networks."""
    port: int
    """Port on both networks."""
    image_name: pulumi.Output[str]
    """Image name and release tag."""
    image_digest: pulumi.Output[str]
    """Digest (or local image id) the container runs."""
    container_name: pulumi.Output[str]
    """Docker name of the running container."""
    releases: pulumi.Output[list[str]]
    """Release tags kept on the Docker host, newest first."""
    # the library holds an Upstream model here; the provider sends its fields (provider.Provider.get_state)
    upstream: pulumi.Output[UpstreamArgs]  # type: ignore[assignment]
    """This container for a ReverseProxy's upstreams, by this component's alias: the proxy switches to a replacement."""

    def __init__(self, name: str, args: PythonApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_python_api.PythonApiArgs, "PythonApi", name, args, opts), opts)


class NextAppArgs(OwnSettingsArgs):
    """Inputs of a NextApp."""

    build: ImageBuildArgs
    """Where the web image is built from (images/web of this repository, or your own app)."""
    network: pulumi.Input[str]
    """Frontend network name."""
    api_url: pulumi.Input[str]
    """Internal URL of the API (a PythonApi's url), used server-side only."""
    public_url: str
    """Where users reach the app (a ReverseProxy's url is known only after deploy; give it here)."""
    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack."""
    node_version: NotRequired[str]
    """NODE_VERSION build argument."""
    registry: NotRequired[str]
    """Push the image to this registry; unset: local image only."""
    alias: NotRequired[str]
    """Host name on the frontend network."""
    resources: NotRequired[ResourcesArgs]
    """Container limits."""


class NextApp(_next_app.NextApp):
    """The Next.js app: built from its sources, talks to the API over the frontend network."""

    url: pulumi.Output[str]
    """Internal URL, e.g. http://web:3000."""
    alias: str
    """Host name on the frontend network."""
    port: int
    """Port on the frontend network."""
    image_name: pulumi.Output[str]
    """Image name and release tag."""
    image_digest: pulumi.Output[str]
    """Digest (or local image id) the container runs."""
    container_name: pulumi.Output[str]
    """Docker name of the running container."""
    releases: pulumi.Output[list[str]]
    """Release tags kept on the Docker host, newest first."""
    # the library holds an Upstream model here; the provider sends its fields (provider.Provider.get_state)
    upstream: pulumi.Output[UpstreamArgs]  # type: ignore[assignment]
    """This container for a ReverseProxy's upstreams, by this component's alias: the proxy switches to a replacement."""

    def __init__(self, name: str, args: NextAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_next_app.NextAppArgs, "NextApp", name, args, opts), opts)
