"""StandardStack: the whole stack (networks, Postgres, Redis, API, web app, proxy) from one typed args object.

Programs that deployed the five components at the top level before this component existed keep
their resources: each child carries an alias to its old, unparented URN (see ``_MOVED``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pulumi
from pydantic import BaseModel, Field

from ._models import InputStr, Runtime, StrictModel
from .app import App, Worker, WorkerArgs
from .networks import StackNetworks, StackNetworksArgs
from .next_app import NextApp, NextAppArgs
from .nginx import ProxyRoute
from .postgres import PostgresService, PostgresServiceArgs
from .python_api import SECRETS_PATH, DatabaseConnection, PythonApi, PythonApiArgs, RedisConnection
from .redis import RedisService, RedisServiceArgs
from .releases import ReleaseArgs
from .reverse_proxy import ReverseProxy, ReverseProxyArgs
from .settings import AppSettingsOfPreset, StackSettings

# The children were registered by the program itself (parent: the stack) before StandardStack. With
# alias specs (pulumi/pulumi sdk/python/lib/pulumi/runtime/resource.py, ``prepare_aliases``) the engine
# also derives the grandchildren's old URNs from this alias, so nothing below is replaced.
_MOVED = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]


class StandardStackArgs(StrictModel):
    """The settings of a stack plus what only Pulumi can supply: secrets and the release history."""

    settings: StackSettings
    project: str = "standard-stack"
    stack: str = "dev"
    postgres_password: InputStr | None = Field(None, description="Secret; generated with pulumi-random when None.")
    redis_password: InputStr | None = Field(None, description="Secret; generated with pulumi-random when None.")
    tls_certificate: InputStr | None = Field(None, description="PEM chain (secret) for proxy.tls without proxy.acme.")
    tls_private_key: InputStr | None = Field(None, description="PEM key (secret) of tls_certificate.")
    app_secrets: dict[str, InputStr] = Field(
        default_factory=dict, description="Secret values the settings' ``secrets`` maps name, by their key (secrets)."
    )
    release_history: Any = Field(
        None, description="Input of {'api': [...], 'web': [...]}: earlier releases, newest first (the `releases` output)."
    )
    release_setting: str = Field("{service}.release", description="How refusals of a release pin name the setting.")
    tls_setting: str = Field("{field}", description="How refusals of a TLS input name it (ReverseProxyArgs.tls_setting).")
    engine_api_version: str | None = Field(
        None, description="The Docker host's Engine API version (``engine.api_version``); None: unknown, no start_interval."
    )


_Args = TypeVar("_Args", bound=BaseModel)


def _own(own: AppSettingsOfPreset, values: Mapping[str, InputStr], secrets_path: str) -> dict[str, Any]:
    """A preset's own env and secrets from the stack file: files, their paths in ``<NAME>_FILE``, and with
    ``secretsAsEnv`` the variables themselves."""
    paths = {f"{env}_FILE": f"{secrets_path.rstrip('/')}/{env}" for env in own.secrets}
    return {
        "env": {**own.env, **paths},
        "secrets": {env: values[key] for env, key in own.secrets.items()},
        "secrets_as_env": own.secrets_as_env,
    }


def _from_section(model: type[_Args], section: BaseModel, **wiring: Any) -> _Args:
    """A component's args from its stack file section: every field both declare, as the section holds it (the
    section reuses the component's own declaration), then ``wiring``, what the stack adds or decides instead."""
    same = {name: getattr(section, name) for name in type(section).model_fields if name in model.model_fields}
    return model(**{**same, **wiring})


def _check_app_secrets(name: str, cfg: StackSettings, values: Mapping[str, Any]) -> None:
    """Every secret the settings name has a value: refused before anything is registered."""
    sections: list[tuple[str, Any]] = [("api", cfg.api), ("web", cfg.web), *cfg.apps.items(), *cfg.workers.items()]
    missing = sorted({key for _, section in sections for key in section.secrets.values() if values.get(key) is None})
    if missing:
        raise pulumi.RunError(f"{name}: app_secrets has no value for {', '.join(missing)}, which the settings' secrets name")


class StandardStack(pulumi.ComponentResource):
    """Outputs: ``url``, ``health_url``, ``images``, ``releases``, ``containers``, ``database_url``, ``redis_url``."""

    def __init__(self, name: str, args: StandardStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:StandardStack", name, None, opts)
        cfg = args.settings
        _check_app_secrets(name, cfg, args.app_secrets)
        runtime = _from_section(  # restart, logging, platform and target as the settings say
            Runtime,
            cfg,
            project=args.project,
            stack=args.stack,
            health_start_interval=cfg.start_interval,
            engine_api_version=args.engine_api_version,
        )
        swarm = cfg.target == "swarm"

        def official(image: str) -> str:
            """On swarm every node pulls the official images too, from the stack's registry (an operator
            mirrors them there: ``docker tag postgres:<version> <registry>/postgres:<version>``, then push);
            nodes may have no route to Docker Hub, and the manager's own pull would exist on it alone."""
            return f"{cfg.image_registry.rstrip('/')}/{image}" if swarm and cfg.image_registry else image

        child = pulumi.ResourceOptions(parent=self, aliases=_MOVED)
        history = pulumi.Output.from_input(args.release_history).apply(lambda value: value if isinstance(value, dict) else {})

        def release(service: str, pin: str | None) -> ReleaseArgs:
            return ReleaseArgs(
                pin=pin,
                history=history.apply(lambda value: list(value.get(service) or [])),
                keep=cfg.releases_kept,
                setting=args.release_setting.format(service=service),
            )

        networks = StackNetworks("networks", _from_section(StackNetworksArgs, cfg.networks, runtime=runtime), opts=child)
        # Swarm tasks join networks by id; on one host the ids are left unset
        frontend_id, backend_id = (networks.frontend_id, networks.backend_id) if swarm else (None, None)
        # what both data services are given alike
        data = {"runtime": runtime, "network": networks.backend, "network_id": backend_id, "protect_data": cfg.protect_data}
        postgres = PostgresService(
            "postgres",
            _from_section(
                PostgresServiceArgs,
                cfg.postgres,
                **data,
                image=official(f"postgres:{cfg.postgres.version}"),
                password=args.postgres_password,
                backup=cfg.postgres.backup.args() if cfg.postgres_backup_enabled else None,
            ),
            opts=child,
        )
        redis_args = {"image": official(f"redis:{cfg.redis.version}"), "password": args.redis_password}
        redis = RedisService("redis", _from_section(RedisServiceArgs, cfg.redis, **data, **redis_args), opts=child)
        api = PythonApi(
            "api",
            _from_section(
                PythonApiArgs,
                cfg.api,
                runtime=runtime,
                registry=cfg.image_registry,
                database=DatabaseConnection(
                    host=postgres.host,
                    port=postgres.port,
                    database=postgres.database,
                    user=postgres.user,
                    password=postgres.password,
                ),
                redis=RedisConnection(host=redis.host, port=redis.port, password=redis.password),
                frontend_network=networks.frontend,
                backend_network=networks.backend,
                frontend_network_id=frontend_id,
                backend_network_id=backend_id,
                trusted_proxies=networks.frontend_subnet,
                app_env=cfg.environment,
                log_level=cfg.log_level,
                hot_reload_source=f"{cfg.api.build.context}/app" if cfg.hot_reload else None,
                release=release("api", cfg.api.release),
                depends_on=[*postgres.ready, redis.container],  # healthy, and holding the current passwords
                database_ready=postgres.ready,  # the migration needs Postgres alone: it need not wait for Redis
                **_own(cfg.api, args.app_secrets, SECRETS_PATH),
            ),
            opts=child,
        )
        # what the web app and the proxy, on the frontend alone and built by the stack, are given alike
        frontend = {"runtime": runtime, "registry": cfg.image_registry, "network": networks.frontend, "network_id": frontend_id}
        web = NextApp(
            "web",
            _from_section(
                NextAppArgs,
                cfg.web,
                **frontend,
                api_url=api.url,
                public_url=cfg.public_url,
                hot_reload_source=f"{cfg.web.build.context}/src" if cfg.hot_reload else None,
                release=release("web", cfg.web.release),
                **_own(cfg.web, args.app_secrets, SECRETS_PATH),
            ),
            opts=child,
        )
        own: dict[str, App] = {}
        wiring = {"frontend": (networks.frontend, frontend_id), "backend": (networks.backend, backend_id)}
        data_services = [*postgres.ready, redis.container]
        for entries in (cfg.apps, cfg.workers):
            for name, entry in entries.items():
                image_from = {"api": api, "web": web}.get(getattr(entry, "image_from", None) or "")
                built = entry.build is not None
                image: Any = entry.image
                if image_from is not None:
                    # the release's name once built; the static wrapper derives its image from the name as text
                    static = entry.env_wrapper == "static" and image_from.release is not None
                    image = image_from.release.image_name if static else image_from.image_name  # type: ignore[union-attr]
                app_args = entry.app_args(
                    runtime=runtime,
                    networks=[wiring[n][0] for n in entry.networks],
                    network_ids=[wiring[n][1] for n in entry.networks] if swarm else None,
                    image=image,
                    registry=cfg.image_registry if built else None,
                    release=release(name, None) if built else ReleaseArgs(),
                    secrets={env: args.app_secrets[key] for env, key in entry.secrets.items()},
                    protect_data=cfg.protect_data,
                    depends_on=[*(data_services if "backend" in entry.networks else []), *([image_from] if image_from else [])],
                )
                child_opts = pulumi.ResourceOptions(parent=self)
                if isinstance(app_args, WorkerArgs):
                    own[name] = Worker(name, app_args, opts=child_opts)
                else:
                    own[name] = App(name, app_args, opts=child_opts)
        routed = [(cfg.apps[name].path, own[name]) for name in cfg.apps if cfg.apps[name].path is not None]
        acme = cfg.proxy.acme
        proxy = ReverseProxy(
            "proxy",
            _from_section(
                ReverseProxyArgs,
                cfg.proxy,
                **frontend,
                routes=[
                    ProxyRoute(path_prefix="/api/", upstream_host=api.proxy_host, upstream_port=api.port, strip_prefix=True),
                    *(
                        ProxyRoute(path_prefix=path, upstream_host=app.proxy_host, upstream_port=app.port, strip_prefix=True)
                        for path, app in routed
                    ),
                    ProxyRoute(path_prefix="/", upstream_host=web.proxy_host, upstream_port=web.port),
                ],
                # on swarm the apps' rolling update switches the proxy (routes name tasks.<service>): no upstreams
                upstreams={app.alias: app.upstream for app in (api, web, *(a for _, a in routed)) if app.upstream is not None},
                public_url=cfg.public_url,
                tls_certificate=None if acme.enabled else args.tls_certificate,
                tls_private_key=None if acme.enabled else args.tls_private_key,
                tls_setting=args.tls_setting,
                acme=acme.args(domain=cfg.proxy_server_names[0], protect=cfg.protect_data) if acme.enabled else None,
                server_name=cfg.proxy_server_names[0],
                server_aliases=list(cfg.proxy_server_names[1]),
                content_security_policy=cfg.proxy_content_security_policy,
                # the site names the apps' current containers: the proxy follows them (and waits for them)
            ),
            opts=child,
        )
        self.networks, self.postgres, self.redis, self.api, self.web, self.proxy = networks, postgres, redis, api, web, proxy
        self.url: pulumi.Output[str] = proxy.url
        self.health_url: pulumi.Output[str] = proxy.health_url
        self.images = {"api": api.image_name, "web": web.image_name, "proxy": proxy.image_name}
        self.apps = own  # the stack file's apps and workers by name
        # kept on the host, newest (running) first
        self.releases = {"api": api.releases, "web": web.releases, **{n: a.releases for n, a in own.items() if a.release}}
        self.containers = {  # the current container of each service (`scripts/logs` reads them by label)
            "postgres": postgres.container.name,
            "redis": redis.container.name,
            "api": api.container_name,
            "web": web.container_name,
            "proxy": proxy.container_name,
            **{name: app.container_name for name, app in own.items()},
        }
        self.database_url = postgres.url  # secret
        self.redis_url = redis.url  # secret
        self.register_outputs(
            {
                "url": self.url,
                "health_url": self.health_url,
                "images": self.images,
                "releases": self.releases,
                "containers": self.containers,
                "database_url": self.database_url,
                "redis_url": self.redis_url,
            }
        )
