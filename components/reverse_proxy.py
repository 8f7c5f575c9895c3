"""nginx in front of the stack: the only container that publishes host ports.

Routes are data (path prefix -> network alias and port). The rendered site config and the TLS
key reach nginx through a read-only file volume, so the container root stays read-only.

With ``acme`` the certificate is renewed beside the proxy (components/acme.py): the ACME client runs
as its own user in its own PID namespace; a watcher in the proxy's namespace reloads nginx when the
client installs a new certificate.

Config changes reload nginx in place. A change of routes, headers, limits or certificates
changes the files: the loader (FileBundle) writes them into the volume nginx already mounts, then a
one-shot reload container that shares the proxy's PID namespace (``pid_mode container:<proxy>``,
same uid 101, no capability) sends SIGHUP to the nginx master and waits for workers on the new
configuration (images/proxy/nginx-reload): same container, open connections finish on the old
workers. A configuration nginx refuses fails ``pulumi up`` with the reload's log, and nginx keeps
serving the old one. Only a change of image or ports replaces the container; it owns fixed host
ports, so the replacement must free them first: delete-first, a gap of about a second.

On ``runtime.target == "swarm"`` the proxy is a Swarm service of one task on the node labelled for it
(``_swarm.node_label``: the address users reach). The site is a Docker config and the certificate and
key are Docker secrets; a changed site is a new config under a new name, so the service's tasks roll
(stop-first: the ports are published in ``host`` mode, since this kernel has no routing mesh, and a
host port is held by one task per node; tests/swarm/README.md). Routes name ``tasks.<service>``
(every healthy task of a ``dnsrr`` service), so ``upstreams`` are not used there: on one host they
switch nginx to a replacement container explicitly; on swarm the switch is the apps' rolling update,
which adds a task to the service's DNS only once it is healthy. No reload container: nothing to signal
across nodes, and a new site is a new task. ACME is not ported to swarm yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker
from pydantic import Field

from . import targets, versions
from ._app_image import versioned_build
from ._containers import ServiceSpec, healthcheck, label_values, object_labels, service_container
from ._files import FileBundle
from ._models import CamelModel, ImageBuild, InputStr, Resources, Runtime, Upstream
from ._swarm import TaskNetwork, config_files, node_label, secret_files, swarm_service
from .acme import (
    CERTIFICATE_FIELDS,
    CERTIFICATE_PATH,
    KEY_PATH,
    WEBROOT,
    AcmeArgs,
    AcmeCertificates,
    acme_needs_tls,
    missing_certificate,
    unused_certificate,
)
from .nginx import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    BodySize,
    ConnectionLimit,
    ContentSecurityPolicy,
    Port,
    ProxyRoute,
    ProxySettings,
    RequestBurst,
    RequestRate,
    ServerName,
    render_site_config,
)
from .one_shot import OneShot, one_shot
from .problems import Problem, refuse
from .releases import build_image
from .versions import Version

HTTP_PORT, HTTPS_PORT = 8080, 8443  # unprivileged ports inside the container
SITE_PATH = "/etc/nginx/site"
START_REVISION = "start-revision"  # in the site volume beside site.conf; nginx includes only *.conf
PROXY_USER = "101:0"  # the image's nginx user; group 0 reads the 0440 key
SWARM_SECRETS = "/run/secrets"  # where Swarm mounts a secret given by a relative file name
HEALTH = ["CMD", "curl", "-fsS", "-o", "/dev/null", f"http://127.0.0.1:{HTTP_PORT}/healthz"]


class ProxyOptions(CamelModel):
    """What a stack chooses about its proxy: ReverseProxyArgs' own, and the stack file's ``proxy`` section (with
    nginxVersion, serverName, contentSecurityPolicy and acme, which the stack decides its own way)."""

    build: ImageBuild = Field(ImageBuild(context="images/proxy"), description="How to build the proxy image.")
    nginx_version: Version = Field(versions.NGINX, description="nginx base image version (build arg NGINX_VERSION).")
    bind_address: str = Field(
        "127.0.0.1",
        pattern=r"^[0-9.]+$|^\[[0-9a-fA-F:]+\]$",
        examples=["127.0.0.1", "0.0.0.0"],
        description="Host address the ports bind to.",
    )
    http_port: Port = Field(8080, description="Host port for HTTP.")
    https_port: Port = Field(8443, description="Host port for HTTPS (used when tls is on).")
    tls: bool = Field(False, description="Serve HTTPS with the certificate and key given (or ACME's); HTTP redirects, HSTS on.")
    server_aliases: list[ServerName] = Field(
        default_factory=list,
        examples=[["www.example.com"], ["127.0.0.1"]],
        description="More host names the site answers to, beside serverName (redirects name serverName).",
    )
    client_max_body_size: BodySize = Field(
        "1m",
        description="Largest request body (nginx size; 0 = no limit); more gets 413. The apps accept 1 MiB: raise it "
        "with the apps' own limits.",
    )
    client_header_timeout_seconds: int = Field(
        10, ge=1, le=300, description="Time a client has to send its whole request header; then 408 (slowloris)."
    )
    client_body_timeout_seconds: int = Field(
        10, ge=1, le=300, description="Longest pause between two reads of a request body; then 408 (slow uploads)."
    )
    connections_per_client: ConnectionLimit = Field(
        100, description="Requests in progress at once per client address; more get 429."
    )
    requests_per_second: RequestRate = Field(100, description="Request rate per client address; beyond the burst 429.")
    request_burst: RequestBurst = Field(
        200, description="Requests per client address allowed above the rate at once, served without delay."
    )
    read_timeout_seconds: int = Field(60, ge=1, le=3600, description="Upstream read/send timeout.")
    resources: Resources = Resources()


class ReverseProxyArgs(ProxyOptions):
    runtime: Runtime
    registry: str | None = None
    network: InputStr = Field(description="Frontend network name.")
    network_id: InputStr | None = Field(None, description="Frontend network id; required on swarm (tasks join by id).")
    routes: list[ProxyRoute] = Field(min_length=1)
    upstreams: dict[str, Upstream] = Field(
        default_factory=dict,
        description="The container a route's upstream_host (a network alias) stands for now, e.g. PythonApi.upstream: "
        "nginx is pointed at that container and reloaded in place when it is replaced, before the old one is removed.",
    )
    tls_certificate: InputStr | None = Field(None, description="PEM chain (secret); required when tls.")
    tls_private_key: InputStr | None = Field(None, description="PEM key (secret); required when tls without acme.")
    tls_setting: str = Field(
        "{field}",
        description="How refusals name a TLS input: {field} is tls_certificate or tls_private_key, {key} its camelCase.",
    )
    acme: AcmeArgs | None = Field(None, description="Obtain and renew the certificate over ACME HTTP-01 (needs tls).")
    public_url: str | None = Field(None, description="Where users reach the stack; default: derived from the bind address.")
    server_name: ServerName = "_"
    content_security_policy: ContentSecurityPolicy = DEFAULT_CONTENT_SECURITY_POLICY
    depends_on: Sequence[pulumi.Resource] = Field(default_factory=list)


class ReverseProxy(pulumi.ComponentResource):
    """Outputs: ``url`` (public), ``health_url``, ``image_name``, ``container_name``, ``site_config`` (the
    rendered nginx site), ``reloaded`` (on a host, an ordering handle: set once nginx took the current files).

    Attributes: ``container`` (nginx's container; on swarm its service), ``acme`` (None without ACME)."""

    def __init__(self, name: str, args: ReverseProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _check_target(name, args)
        super().__init__("standard-stack:index:ReverseProxy", name, None, opts)
        runtime = args.runtime
        acme = args.acme
        swarm = runtime.target == "swarm"
        given = [field for field in CERTIFICATE_FIELDS if getattr(args, field) is not None]
        on = acme is not None
        refuse(
            name,
            [
                *acme_needs_tls("acme", acme=on, tls=args.tls, tls_field="tls"),
                *unused_certificate(acme=on, given=given, acme_field="acme"),
                *missing_certificate(tls=args.tls, acme=on, given=given),
            ],
        )
        settings = ProxySettings(
            routes=args.routes,
            server_name=args.server_name,
            server_aliases=tuple(args.server_aliases),
            tls=args.tls,
            http_port=HTTP_PORT,
            https_port=HTTPS_PORT,
            public_http_port=args.http_port,
            public_https_port=args.https_port,
            client_max_body_size=args.client_max_body_size,
            client_header_timeout=args.client_header_timeout_seconds,
            client_body_timeout=args.client_body_timeout_seconds,
            connections_per_client=args.connections_per_client,
            requests_per_second=args.requests_per_second,
            request_burst=args.request_burst,
            content_security_policy=args.content_security_policy,
            read_timeout=args.read_timeout_seconds,
            send_timeout=args.read_timeout_seconds,
            nginx_version=_version_tuple(args.nginx_version),
            tls_certificate_path=CERTIFICATE_PATH
            if acme
            else (f"{SWARM_SECRETS}/tls_cert.pem" if swarm else f"{SITE_PATH}/tls/cert.pem"),
            tls_key_path=KEY_PATH if acme else (f"{SWARM_SECRETS}/tls_key.pem" if swarm else f"{SITE_PATH}/tls/key.pem"),
            acme_webroot=WEBROOT if acme else None,
            # On swarm an old task leaves the service's DNS, then Swarm waits a fixed 2 s for gossip and
            # only then stops it (moby daemon/cluster/executor/container/controller.go, controller.Shutdown:
            # deactivateServiceBinding, time.Sleep(defaultGossipConvergeDelay = 2 * time.Second)). nginx's
            # 2 s cache equalled that delay: the lab's proxy still connected to stopped tasks
            # ("connect() failed (111: Connection refused)") and 2 of 397 requests of a rolling update
            # got 502. A 1 s cache re-resolves within the delay, leaving 1 s for gossip.
            **({"resolver_valid": 1} if swarm else {}),
        )
        unrouted = sorted(set(args.upstreams) - {route.upstream_host for route in args.routes})
        if unrouted:
            raise pulumi.RunError(
                f"{name}: upstreams {', '.join(unrouted)} match no route's upstream_host "
                f"({', '.join(sorted({route.upstream_host for route in args.routes}))})"
            )
        self.site_config = _site_config(settings, args.upstreams)
        build = versioned_build(args.build, version_arg="NGINX_VERSION", version=args.nginx_version)
        self.image = build_image(name, runtime=runtime, service=name, build=build, registry=args.registry, parent=self)

        pems: dict[str, pulumi.Input[str]] = {}
        if args.tls and args.tls_certificate is not None and args.tls_private_key is not None:
            cert = args.tls_setting.format(field="tls_certificate", key="tlsCertificate")
            key = args.tls_setting.format(field="tls_private_key", key="tlsPrivateKey")
            pems["cert.pem"] = _pem_file(name, cert, args.tls_certificate, "CERTIFICATE")
            pems["key.pem"] = _pem_file(name, key, args.tls_private_key, "PRIVATE KEY")
        public = (args.public_url or _local_url(args)).rstrip("/")
        self.url = pulumi.Output.from_input(public)
        self.health_url = pulumi.Output.from_input(f"{public}/healthz")
        self.image_name = self.image.image_name
        self.acme: AcmeCertificates | None = None
        if swarm:
            self._on_swarm(name, args, pems)
            return

        tls_files = {f"tls/{file}": pem for file, pem in pems.items()}
        volume = docker.Volume(
            f"{name}-site-files",
            name=f"{runtime.prefix}-{name}-site-files",
            labels=object_labels(runtime, name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        files: dict[str, pulumi.Input[str]] = {"site.conf": self.site_config, **tls_files}

        def site_bundle(bundle: str, site_files: dict[str, pulumi.Input[str]]) -> FileBundle:
            """A site for nginx, loaded into the one volume nginx reads."""
            return FileBundle(
                bundle,
                runtime=runtime,
                service=name,
                image=self.image.repo_digest,
                mount_path=SITE_PATH,
                files=site_files,
                parent=self,
                volume=volume,
            )

        start: FileBundle | None = None
        if args.upstreams:
            # nginx need not wait for the apps: it starts on the site that routes by alias (resolved per
            # request), beside them, and is switched to the site naming their containers in place, once
            # they are healthy (the loader below, then the reload). The current site carries the start
            # site's revision, so whenever the start site is written again the current one follows it:
            # what nginx reads after a restart is always the current site.
            start = site_bundle(f"{name}-site-start", {"site.conf": render_site_config(settings), **tls_files})
            files[START_REVISION] = start.revision
        site = site_bundle(f"{name}-site", files)
        volumes = [site.mount()]
        before_proxy: list[pulumi.Resource] = [start.loader if start is not None else site.loader]
        if acme is not None:
            acme_build = build.model_copy(update={"target": "acme"})
            acme_image = build_image(
                f"{name}-acme", runtime=runtime, service=f"{name}-acme", build=acme_build, registry=args.registry, parent=self
            )
            self.acme = AcmeCertificates(
                name,
                runtime=runtime,
                service=name,
                image=acme_image.repo_digest,
                network=args.network,
                args=acme,
                parent=self,
            )
            volumes.append(self.acme.mount(read_only=True))
            before_proxy += self.acme.before_proxy
        ports = [docker.ContainerPortArgs(internal=HTTP_PORT, external=args.http_port, ip=args.bind_address)]
        if args.tls:
            ports.append(docker.ContainerPortArgs(internal=HTTPS_PORT, external=args.https_port, ip=args.bind_address))
        container = service_container(
            name,
            self._spec(name, args),
            networks=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[name])],
            name=f"{runtime.prefix}-{name}",
            ports=ports,
            user=PROXY_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            volumes=volumes,
            # no label or input follows the files: a change of them reloads (below), never replaces.
            # Fixed name and host ports: the old container must go before a new one starts.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=[*before_proxy, *args.depends_on]),
        )
        if self.acme is not None:
            self.acme.start_client(container, proxy_address=f"{name}:{HTTPS_PORT}", parent=self)
        self.reload = reload_in_place(
            f"{name}-reload",
            runtime=runtime,
            service=name,
            image=self.image.repo_digest,
            proxy=container,
            revision=site.revision,
            parent=self,
        )

        self.container: docker.Container | docker.Service = container
        self.container_name = container.name
        self._publish(reloaded=self.reload.done)

    def _spec(self, name: str, args: ReverseProxyArgs) -> ServiceSpec:
        return ServiceSpec(
            runtime=args.runtime,
            service=name,
            component="proxy",
            image=self.image.repo_digest,
            resources=args.resources,
            health=healthcheck(HEALTH, start_period="5s"),
        )

    def _publish(self, **handles: pulumi.Input[str]) -> None:
        """Registers the outputs of both targets, and ``handles`` (on a host: the reload dependants wait for)."""
        outputs = {"url": self.url, "health_url": self.health_url, "image_name": self.image_name}
        self.register_outputs({**outputs, "container_name": self.container_name, "site_config": self.site_config, **handles})

    def _on_swarm(self, name: str, args: ReverseProxyArgs, pems: dict[str, pulumi.Input[str]]) -> None:
        runtime = args.runtime
        assert args.network_id is not None  # _check_target
        ports = [docker.ServiceEndpointSpecPortArgs(target_port=HTTP_PORT, published_port=args.http_port, publish_mode="host")]
        if args.tls:
            ports.append(
                docker.ServiceEndpointSpecPortArgs(target_port=HTTPS_PORT, published_port=args.https_port, publish_mode="host")
            )
        self.container = service = swarm_service(
            name,
            self._spec(name, args),
            networks=[TaskNetwork(id=args.network_id, aliases=[name])],
            user=PROXY_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            configs=config_files(
                name, runtime=runtime, service=name, files={f"{SITE_PATH}/site.conf": self.site_config}, parent=self
            ),
            secrets=secret_files(
                name, runtime=runtime, service=name, files={f"tls_{f}": pem for f, pem in pems.items()}, parent=self
            ),
            ports=ports,
            # a host-mode port is held by one task per node: a new task can only start once the old one stopped
            order="stop-first",
            # the node users reach (DNS, firewall) is an operator's choice: the proxy runs where it is labelled
            node_label=node_label(runtime, name),
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=list(args.depends_on)),
        )
        self.container_name = service.name
        self._publish()


def _check_target(name: str, args: ReverseProxyArgs) -> None:
    """What swarm needs of the proxy, refused before anything registers, every problem at once."""
    if args.runtime.target != "swarm":
        return
    problems = [
        *targets.registry("registry", args.registry),
        *targets.network_ids({"network_id": args.network_id}),
        *targets.any_address("bind_address", args.bind_address),
    ]
    if args.upstreams:
        why = (
            f"({', '.join(sorted(args.upstreams))}) must be empty {targets.SWARM}: routes name tasks.<service>, "
            "and the apps' rolling update switches the proxy to new tasks"
        )
        problems.append(Problem("upstreams", why))
    refuse(name, [*problems, *targets.no_acme("acme", args.acme is not None, off="None")])


class Reload:
    """A one-shot ``nginx-reload`` in the proxy's PID namespace (``one_shot.OneShot``), run again whenever
    ``revision`` changes.

    ``revision`` (the files loader's id, or anything that changes with the files) is in the run's
    environment, so a new revision runs it once more. A new proxy container (the PID namespace names it)
    runs it again too, harmlessly. A failed reload fails the deploy with its log; nothing of it is
    recorded, so the next deploy tries again until a change reloads cleanly. ``done`` orders what must
    wait for the reload.
    """

    def __init__(self, run: OneShot) -> None:
        self.run = run
        self.done: pulumi.Output[str] = run.id.apply(lambda _: "ok")


def reload_in_place(
    name: str,
    *,
    runtime: Runtime,
    service: str,
    image: pulumi.Input[str],
    proxy: docker.Container,
    revision: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Reload:
    run = one_shot(
        name,
        runtime=runtime,
        role=f"{service}-reload",
        labels=label_values(runtime, f"{service}-reload"),
        image=image,
        entrypoint=["/usr/local/bin/nginx-reload"],
        user=PROXY_USER,  # the nginx master's uid: signalling it needs no capability
        pid_container=proxy.id,
        env=[pulumi.Output.from_input(revision).apply(lambda r: f"REVISION={r}")],
        description=f"{name}: nginx reload",
        consequence="nginx did not take the new configuration and keeps serving the previous one",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[proxy, *depends_on]),
    )
    return Reload(run)


def _site_config(settings: ProxySettings, upstreams: dict[str, Upstream]) -> pulumi.Output[str]:
    """The site, each alias in ``upstreams`` replaced by its current container.

    Routing by alias leaves the switch to DNS discovery: Docker drops a replaced container from the
    alias only when it exits, and nginx keeps its address up to ``resolver_valid`` longer, so a request
    can still be sent to a container that is gone. Naming the container instead makes the switch
    explicit: a replacement changes the site, the proxy reloads in place, and only then does Pulumi
    delete the old container: a create-before-replace deletes the replaced resource only after the
    resources that depend on it are updated (pulumi/pulumi tests/integration/steps/step3/index.ts:
    ``CreateReplacement(a3), Update(c2=>c3), DeleteReplaced(a2)``; the engine's step generator marks
    the old state for deletion and removes it with the deletes that follow the registrations).
    """
    if not upstreams:
        return pulumi.Output.from_input(render_site_config(settings))
    aliases = list(upstreams)
    current = pulumi.Output.all(*(pulumi.Output.all(upstreams[a].host, upstreams[a].address) for a in aliases))

    def render(containers: list[list[str]]) -> str:
        by_alias = dict(zip(aliases, containers, strict=True))
        routes = tuple(_to_container(route, by_alias.get(route.upstream_host)) for route in settings.routes)
        return render_site_config(settings.model_copy(update={"routes": routes}))

    return current.apply(render)


def _to_container(route: ProxyRoute, container: list[str] | None) -> ProxyRoute:
    if container is None:
        return route
    host, address = container
    return ProxyRoute(**{**route.model_dump(), "upstream_host": host, "upstream_address": address})


def _local_url(args: ReverseProxyArgs) -> str:
    scheme, port = ("https", args.https_port) if args.tls else ("http", args.http_port)
    host = "localhost" if args.bind_address in ("127.0.0.1", "0.0.0.0") else args.bind_address
    default = 443 if args.tls else 80
    return f"{scheme}://{host}" + ("" if port == default else f":{port}")


def _version_tuple(version: str) -> tuple[int, int, int]:
    """'1.27' -> (1, 27, 0): the renderer picks upstream features by version."""
    parts = [*(int(p) for p in version.split("-")[0].split(".")[:3] if p.isdigit()), 0, 0, 0]
    return parts[0], parts[1], parts[2]


def _pem_file(component: str, setting: str, value: InputStr, kind: str) -> pulumi.Output[str]:
    return pulumi.Output.secret(value).apply(lambda pem: _pem(component, setting, pem, kind))


def _pem(component: str, setting: str, text: str, kind: str) -> str:
    """Catch a pasted file name or a key in the certificate slot before nginx does, without echoing the value."""
    if f"-----BEGIN {kind}" not in text and f"-----BEGIN RSA {kind}" not in text and f"-----BEGIN EC {kind}" not in text:
        raise pulumi.RunError(
            f"{component}: {setting} is not a PEM {kind.lower()} (expected '-----BEGIN {kind}-----'); "
            "set it to the PEM file's content, not its name"
        )
    return text if text.endswith("\n") else text + "\n"
