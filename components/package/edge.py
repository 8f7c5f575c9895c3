"""StackNetworks and ReverseProxy as package components: the library's classes with typed inputs."""

from typing import NotRequired, TypedDict

import pulumi

from .. import networks as _networks
from .. import reverse_proxy as _reverse_proxy
from .convert import library_args
from .inputs import AcmeArgs, ImageBuildArgs, ProxyRouteArgs, ResourcesArgs, RuntimeArgs, UpstreamArgs


class StackNetworksArgs(TypedDict):
    """Inputs of a StackNetworks."""

    runtime: NotRequired[RuntimeArgs]
    """Settings shared by every container of the stack (project and stack name the networks)."""
    backend_internal: NotRequired[bool]
    """Backend without egress and without published ports (data services)."""
    backend_encrypted: NotRequired[bool]
    """On target swarm: the backend overlay encrypted between nodes (needs ESP and AES-GCM)."""


class StackNetworks(_networks.StackNetworks):
    """The stack's two networks: frontend (proxy, web, API) and backend (API and data services)."""

    frontend: pulumi.Output[str]
    """Frontend network name."""
    backend: pulumi.Output[str]
    """Backend network name."""
    frontend_subnet: pulumi.Output[str]
    """IPv4 subnet of the frontend network (the proxy's addresses)."""

    def __init__(self, name: str, args: StackNetworksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, library_args(_networks.StackNetworksArgs, "StackNetworks", name, args), opts)


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
    """NGINX_VERSION build argument."""
    registry: NotRequired[str]
    """Push the image to this registry; unset: local image only."""
    bind_address: NotRequired[str]
    """Host address the ports are published on."""
    http_port: NotRequired[int]
    """Host port for HTTP."""
    https_port: NotRequired[int]
    """Host port for HTTPS."""
    tls: NotRequired[bool]
    """Serve HTTPS, with tlsCertificate and tlsPrivateKey or acme."""
    tls_certificate: NotRequired[pulumi.Input[str]]
    """PEM certificate chain (secret); required with tls without acme."""
    tls_private_key: NotRequired[pulumi.Input[str]]
    """PEM private key (secret); required with tls without acme."""
    acme: NotRequired[AcmeArgs]
    """Obtain and renew the certificate over ACME HTTP-01 (needs tls); unset: none."""
    public_url: NotRequired[str]
    """Where users reach the stack; unset: derived from the bind address and port."""
    server_name: NotRequired[str]
    """nginx server_name: _ answers any host name; a name makes other hosts get 421."""
    server_aliases: NotRequired[list[str]]
    """More names the site answers to (e.g. 127.0.0.1 beside localhost); redirects name serverName."""
    client_max_body_size: NotRequired[str]
    """Largest request body, e.g. 10m: larger ones are refused (413) before they are sent."""
    client_header_timeout_seconds: NotRequired[int]
    """Seconds for a client's whole request header (1-300): a slower one gets 408."""
    client_body_timeout_seconds: NotRequired[int]
    """Seconds between two reads of a request body (1-300): a slower client gets 408."""
    connections_per_client: NotRequired[int]
    """Requests in progress per client address, nginx's limit_conn."""
    requests_per_second: NotRequired[int]
    """Request rate per client address, nginx's limit_req."""
    request_burst: NotRequired[int]
    """Requests over the rate a client address may queue, nginx's limit_req burst."""
    content_security_policy: NotRequired[str]
    """Content-Security-Policy header of every response; it must have a default-src directive."""
    read_timeout_seconds: NotRequired[int]
    """Upstream read and send timeout in seconds."""
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
        super().__init__(name, library_args(_reverse_proxy.ReverseProxyArgs, "ReverseProxy", name, args, opts), opts)
