"""App and Worker as package components: any app image described by its contract, with typed inputs.

What the library's ``App`` takes, less what only a Python program or a Swarm can give (the contract
test lists each): the package passes the resource's own ``dependsOn``, builds from an absolute context
and always runs the current sources. ``secrets`` are name -> value, each kept a Pulumi secret.
"""

from typing import NotRequired, TypedDict

import pulumi

from .. import app as _app
from .convert import library_args
from .inputs import AppJobArgs, HealthCheckArgs, ImageBuildArgs, ResourcesArgs, RuntimeArgs, UpstreamArgs


class AppArgs(TypedDict):
    """Inputs of an App."""

    networks: list[pulumi.Input[str]]
    """Docker network names it joins (a StackNetworks' outputs); the first is the proxy's."""
    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack."""
    build: NotRequired[ImageBuildArgs]
    """Build the image from sources (content-tagged releases); give build or image."""
    image: NotRequired[pulumi.Input[str]]
    """Or an existing image reference, pulled unless on the host (e.g. another App's imageName)."""
    registry: NotRequired[str]
    """Push built images to this registry; unset: local image only."""
    port: NotRequired[int]
    """The port the app listens on; unset: none (a worker)."""
    aliases: NotRequired[list[str]]
    """Host names on every network; unset: the resource name."""
    health: NotRequired[HealthCheckArgs]
    """How Docker tells the app is ready; unset: the container only has to start."""
    entrypoint: NotRequired[list[str]]
    """Replaces the image's ENTRYPOINT ([] for none)."""
    command: NotRequired[list[str]]
    """Replaces the image's CMD."""
    user: NotRequired[str]
    """user[:group]; unset: the image's."""
    working_dir: NotRequired[str]
    """Absolute working directory in the container; unset: the image's."""
    env: NotRequired[dict[str, pulumi.Input[str]]]
    """Plain settings (values or outputs); never secrets."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Name -> value (kept secret): files under secretsPath, and variables with secretsAsEnv."""
    secrets_path: NotRequired[str]
    """Directory of the secret files."""
    secrets_as_env: NotRequired[bool]
    """Also set each secret as an environment variable of the app's own process, through an exec wrapper
    (envWrapper; entrypoint and command given)."""
    env_wrapper: NotRequired[str]
    """The secretsAsEnv wrapper: sh, a script run by the image's /bin/sh (needs sh and cat); static, a static
    binary copied into an image derived from the app's (scratch or distroless images; image, if given, a plain
    reference)."""
    job: NotRequired[AppJobArgs]
    """One-shot command before each new release starts (a migration)."""
    read_only: NotRequired[bool]
    """Read-only root filesystem; writable paths through tmpfs."""
    tmpfs: NotRequired[dict[str, str]]
    """Path -> Docker tmpfs options."""
    volumes: NotRequired[dict[str, str]]
    """Named data volume -> container path."""
    protect_data: NotRequired[bool]
    """Keep the data volumes through destroy (prod)."""
    resources: NotRequired[ResourcesArgs]
    """Container limits."""
    stop_signal: NotRequired[str]
    """Signal that starts the app's shutdown, e.g. SIGTERM or SIGQUIT."""
    stop_grace_seconds: NotRequired[int]
    """Seconds it gets to stop before a kill."""
    init: NotRequired[bool]
    """docker-init as PID 1 (forwards signals, reaps zombies)."""
    component: NotRequired[str]
    """The component label policies key on."""


class WorkerArgs(AppArgs):
    """Inputs of a Worker: an App's, without a port (the descriptions are AppArgs', models.DOCUMENTED_BY)."""


class App(_app.App):
    """Any app image: built or pulled, health-gated, replaced create-first, its secrets as files."""

    url: pulumi.Output[str]
    """Internal URL, e.g. http://notes:8000 (unset without a port)."""
    alias: str
    """Host name on every network."""
    proxy_host: str
    """What a ReverseProxy route's upstreamHost names."""
    port: int
    """The port the app listens on (unset without one)."""
    image_name: pulumi.Output[str]
    """Image name and release tag (a Worker's image: the same release)."""
    image_digest: pulumi.Output[str]
    """Digest (or local image id) the container runs."""
    container_name: pulumi.Output[str]
    """Docker name of the running container."""
    # the library holds its Release here; the provider sends its tag (provider.Provider.get_state)
    release: pulumi.Output[str]  # type: ignore[assignment]
    """The running release's tag (unset for a pulled image)."""
    releases: pulumi.Output[list[str]]
    """Release tags kept on the Docker host, newest first."""
    # the library holds an Upstream model here; the provider sends its fields (provider.Provider.get_state)
    upstream: pulumi.Output[UpstreamArgs]  # type: ignore[assignment]
    """This container for a ReverseProxy's upstreams, by this component's alias: the proxy switches to a replacement."""

    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_app.AppArgs, "App", name, args, opts), opts)


class Worker(_app.Worker):
    """An App without a port (a queue consumer), stopped with a warm shutdown and replaced create-first."""

    image_name: pulumi.Output[str]
    """Image name and release tag."""
    image_digest: pulumi.Output[str]
    """Digest (or local image id) the container runs."""
    container_name: pulumi.Output[str]
    """Docker name of the running container."""
    release: pulumi.Output[str]  # type: ignore[assignment]
    """The running release's tag (unset for a pulled image, e.g. an App's imageName)."""
    releases: pulumi.Output[list[str]]
    """Release tags kept on the Docker host, newest first."""

    def __init__(self, name: str, args: WorkerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_app.WorkerArgs, "Worker", name, args, opts), opts)
