"""StackNetworks and ReverseProxy as package components: the library's classes with typed inputs."""

from typing import NotRequired, TypedDict

import pulumi

from .. import networks as _networks
from .. import reverse_proxy as _reverse_proxy
from .convert import absolute_build, dependencies, model, runtime_values
from .inputs import ImageBuildArgs, ProxyRouteArgs, ResourcesArgs, RuntimeArgs, UpstreamArgs


class StackNetworksArgs(TypedDict):
    """Inputs of a StackNetworks."""

    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack (project and stack name the networks)."""
    backend_internal: NotRequired[bool]
    """Backend without egress (default true)."""
    backend_encrypted: NotRequired[bool]
    """On target swarm: the backend overlay encrypted between nodes (default true; needs ESP and AES-GCM)."""


class StackNetworks(_networks.StackNetworks):
    """The stack's two networks: frontend (proxy, web, API) and backend (API and data services)."""

    frontend: pulumi.Output[str]
    """Frontend network name."""
    backend: pulumi.Output[str]
    """Backend network name."""
    frontend_subnet: pulumi.Output[str]
    """IPv4 subnet of the frontend network (the proxy's addresses)."""

    def __init__(self, name: str, args: StackNetworksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        values = {**args, "runtime": runtime_values(args.get("runtime"))}
        super().__init__(name, model(_networks.StackNetworksArgs, "StackNetworks", name, values), opts)


class ReverseProxyArgs(TypedDict):
    """Inputs of a ReverseProxy."""

    build: ImageBuildArgs
    """Where the nginx image is built from (images/proxy of this repository)."""
    network: pulumi.Input[str]
    """Frontend network name."""
    routes: list[ProxyRouteArgs]
    """Path prefixes and their upstreams (at least one)."""
    upstreams: NotRequired[dict[str, pulumi.Input[UpstreamArgs]]]
    """Container a route's upstreamHost stands for now, e.g. {api: ${api.upstream}}: replacements switch the proxy explicitly."""
    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack."""
    nginx_version: NotRequired[str]
    """NGINX_VERSION build argument (default 1.28)."""
    registry: NotRequired[str]
    """Push the image to this registry; unset: local image only."""
    bind_address: NotRequired[str]
    """Host address the ports are published on (default 127.0.0.1)."""
    http_port: NotRequired[int]
    """Host port for HTTP (default 8080)."""
    https_port: NotRequired[int]
    """Host port for HTTPS (default 8443)."""
    tls: NotRequired[bool]
    """Serve HTTPS with tlsCertificate and tlsPrivateKey (default false)."""
    tls_certificate: NotRequired[pulumi.Input[str]]
    """PEM certificate chain (secret); required with tls."""
    tls_private_key: NotRequired[pulumi.Input[str]]
    """PEM private key (secret); required with tls."""
    public_url: NotRequired[str]
    """Where users reach the stack (default derived from the bind address and port)."""
    server_name: NotRequired[str]
    """nginx server_name (default _)."""
    client_max_body_size: NotRequired[str]
    """Largest request body, e.g. 10m (default 10m)."""
    read_timeout_seconds: NotRequired[int]
    """Upstream read and send timeout (default 60)."""
    resources: NotRequired[ResourcesArgs]
    """Container limits."""


class ReverseProxy(_reverse_proxy.ReverseProxy):
    """nginx in front of the stack: the only container that publishes host ports."""

    url: pulumi.Output[str]
    """Public URL."""
    health_url: pulumi.Output[str]
    """The proxy's own health endpoint."""
    image_name: pulumi.Output[str]
    """Image name and tag."""
    container_name: pulumi.Output[str]
    """Docker name of the proxy container."""
    site_config: pulumi.Output[str]
    """The rendered nginx site configuration."""

    def __init__(self, name: str, args: ReverseProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        values = {
            **args,
            "runtime": runtime_values(args.get("runtime")),
            "build": absolute_build("ReverseProxy", name, args["build"]),
            "depends_on": dependencies(opts),
        }
        super().__init__(name, model(_reverse_proxy.ReverseProxyArgs, "ReverseProxy", name, values), opts)
