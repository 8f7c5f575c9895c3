"""standard-stack: PostgreSQL, Redis, a Python API, a Next.js app and nginx on one Docker host.

Everything that differs between stacks comes from Pulumi.<stack>.yaml through components.config.
"""

import pulumi

from components import (
    AcmeArgs,
    DatabaseConnection,
    NextApp,
    NextAppArgs,
    PostgresBackupArgs,
    PostgresService,
    PostgresServiceArgs,
    ProxyRoute,
    PythonApi,
    PythonApiArgs,
    RedisConnection,
    RedisService,
    RedisServiceArgs,
    ReleaseArgs,
    ReverseProxy,
    ReverseProxyArgs,
    Runtime,
    StackNetworks,
    StackNetworksArgs,
    acme_directory,
)
from components.config import ConfigError, load_from_pulumi

try:
    cfg = load_from_pulumi(pulumi.get_stack())
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

secrets = pulumi.Config("standard-stack")
runtime = Runtime(
    project=pulumi.get_project(), stack=pulumi.get_stack(), restart=cfg.restart, logging=cfg.logging, platform=cfg.platform
)
protect = cfg.protect_data

# The releases this stack kept so far (its own `releases` output from the last deploy, newest first):
# the program keeps the newest `releasesKept` of them on the Docker host and may pin one of them.
previous = pulumi.StackReference(
    "previous-deploy", stack_name=f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
)
history = previous.get_output("releases").apply(lambda value: value if isinstance(value, dict) else {})


def release_args(service: str, pin: str | None) -> ReleaseArgs:
    return ReleaseArgs(
        pin=pin,
        history=history.apply(lambda value: list(value.get(service) or [])),
        keep=cfg.releases_kept,
        setting=f"standard-stack:{service}.release",
    )


networks = StackNetworks("networks", StackNetworksArgs(runtime=runtime, backend_internal=cfg.networks.backend_internal))

postgres = PostgresService(
    "postgres",
    PostgresServiceArgs(
        runtime=runtime,
        network=networks.backend,
        image=f"postgres:{cfg.postgres.version}",
        database=cfg.postgres.database,
        user=cfg.postgres.user,
        password=secrets.get_secret("postgresPassword"),
        host_port=cfg.postgres.host_port,
        init_sql=cfg.postgres.init_sql,
        resources=cfg.postgres.resources,
        protect_data=protect,
        backup=PostgresBackupArgs(
            interval_minutes=cfg.postgres.backup.interval_minutes,
            keep_count=cfg.postgres.backup.keep_count,
            keep_days=cfg.postgres.backup.keep_days,
            copy_to=cfg.postgres.backup.copy_to,
            resources=cfg.postgres.backup.resources,
        )
        if cfg.postgres_backup_enabled
        else None,
    ),
)

redis = RedisService(
    "redis",
    RedisServiceArgs(
        runtime=runtime,
        network=networks.backend,
        image=f"redis:{cfg.redis.version}",
        password=secrets.get_secret("redisPassword"),
        maxmemory=cfg.redis.maxmemory,
        maxmemory_policy=cfg.redis.maxmemory_policy,
        host_port=cfg.redis.host_port,
        resources=cfg.redis.resources,
        protect_data=protect,
    ),
)

api = PythonApi(
    "api",
    PythonApiArgs(
        runtime=runtime,
        build=cfg.api.build,
        python_version=cfg.api.python_version,
        registry=cfg.image_registry,
        database=DatabaseConnection(
            host=postgres.host, port=postgres.port, database=postgres.database, user=postgres.user, password=postgres.password
        ),
        redis=RedisConnection(host=redis.host, port=redis.port, password=redis.password),
        frontend_network=networks.frontend,
        backend_network=networks.backend,
        trusted_proxies=networks.frontend_subnet,
        app_env=cfg.environment,
        log_level=cfg.log_level,
        workers=cfg.api.workers,
        hot_reload_source=f"{cfg.api.build.context}/app" if cfg.hot_reload else None,
        resources=cfg.api.resources,
        release=release_args("api", cfg.api.release),
        depends_on=[*postgres.ready, redis.container],  # healthy, and holding the current passwords
    ),
)

web = NextApp(
    "web",
    NextAppArgs(
        runtime=runtime,
        build=cfg.web.build,
        node_version=cfg.web.node_version,
        registry=cfg.image_registry,
        network=networks.frontend,
        api_url=api.url,
        public_url=cfg.public_url,
        hot_reload_source=f"{cfg.web.build.context}/src" if cfg.hot_reload else None,
        resources=cfg.web.resources,
        release=release_args("web", cfg.web.release),
    ),
)

proxy = ReverseProxy(
    "proxy",
    ReverseProxyArgs(
        runtime=runtime,
        build=cfg.proxy.build,
        nginx_version=cfg.proxy.nginx_version,
        registry=cfg.image_registry,
        network=networks.frontend,
        routes=[
            ProxyRoute(path_prefix="/api/", upstream_host=api.alias, upstream_port=api.port, strip_prefix=True),
            ProxyRoute(path_prefix="/", upstream_host=web.alias, upstream_port=web.port),
        ],
        bind_address=cfg.proxy.bind_address,
        http_port=cfg.proxy.http_port,
        https_port=cfg.proxy.https_port,
        tls=cfg.proxy.tls,
        public_url=cfg.public_url,
        tls_certificate=None if cfg.proxy.acme.enabled else secrets.get_secret("tlsCertificate"),
        tls_private_key=None if cfg.proxy.acme.enabled else secrets.get_secret("tlsPrivateKey"),
        acme=AcmeArgs(
            domain=cfg.proxy.server_name,
            directory_url=acme_directory(cfg.proxy.acme.directory_url, cfg.proxy.acme.staging),
            email=cfg.proxy.acme.email,
            renew_before_days=cfg.proxy.acme.renew_before_days,
            check_interval_minutes=cfg.proxy.acme.check_interval_minutes,
            ca_certificate=cfg.proxy.acme.ca_certificate,
            protect=cfg.protect_data,
        )
        if cfg.proxy.acme.enabled
        else None,
        server_name=cfg.proxy.server_name,
        client_max_body_size=cfg.proxy.client_max_body_size,
        read_timeout_seconds=cfg.proxy.read_timeout_seconds,
        resources=cfg.proxy.resources,
        # no depends_on the apps: nginx resolves them per request, so it starts in parallel
    ),
)

pulumi.export("url", proxy.url)
pulumi.export("health_url", proxy.health_url)
pulumi.export("api_health_url", proxy.url.apply(lambda url: f"{url}/api/health"))
pulumi.export("api_ready_url", proxy.url.apply(lambda url: f"{url}/api/health/ready"))
pulumi.export("images", {"api": api.image_name, "web": web.image_name, "proxy": proxy.image_name})
pulumi.export("releases", {"api": api.releases, "web": web.releases})  # kept on the host, newest (running) first
pulumi.export(
    "containers",  # the current container of each service (`scripts/logs <stack> <service>` reads them by label)
    {
        "postgres": postgres.container.name,
        "redis": redis.container.name,
        "api": api.container_name,
        "web": web.container_name,
        "proxy": proxy.container_name,
    },
)
pulumi.export("database_url", postgres.url)  # secret: shown only with `pulumi stack output --show-secrets`
pulumi.export("redis_url", redis.url)  # secret
