"""The visits service (tests/apps/go-service), deployed unchanged with App: a static Go binary on scratch.

The image has no shell, and the service reads DATABASE_URL from its environment: App's static env
wrapper (``env_wrapper="static"``) derives an image holding a static exec wrapper, which sets the
variable from its secret file inside the service's own process, never in the container's config.
Config: ``httpPort`` (default 8080), ``appContext`` and ``proxyContext`` (build contexts, relative to
this directory), ``postgresImage`` and ``nginxVersion`` (default: the library's pinned versions).
"""

import pulumi

from standard_stack import (
    App,
    AppArgs,
    AppJob,
    HealthCheck,
    ImageBuild,
    PostgresService,
    PostgresServiceArgs,
    ProxyRoute,
    ReverseProxy,
    ReverseProxyArgs,
    Runtime,
    StackNetworks,
    StackNetworksArgs,
)

config = pulumi.Config()
runtime = Runtime(project=pulumi.get_project(), stack=pulumi.get_stack())
networks = StackNetworks("networks", StackNetworksArgs(runtime=runtime))


def given(**settings: str | None) -> dict[str, str]:
    """The settings whose config key is set; the others keep the library's pinned default."""
    return {field: value for field, value in settings.items() if value}


db = PostgresService(
    "postgres",
    PostgresServiceArgs(runtime=runtime, network=networks.backend, database="visits", **given(image=config.get("postgresImage"))),
)
visits = App(
    "visits",
    AppArgs(
        runtime=runtime,
        build=ImageBuild(context=config.get("appContext") or "../../apps/go-service"),
        port=8080,
        networks=[networks.frontend, networks.backend],
        health=HealthCheck(command=["/app", "health"]),
        entrypoint=[],  # the image's ENTRYPOINT is /app: the wrapper runs it as the command
        command=["/app"],
        secrets={"DATABASE_URL": db.url},
        secrets_as_env=True,
        env_wrapper="static",
        job=AppJob(command=["/app", "migrate"], name="migrate", what="database migration"),
        depends_on=db.ready,
    ),
)
proxy = ReverseProxy(
    "proxy",
    ReverseProxyArgs(
        runtime=runtime,
        build=ImageBuild(context=config.get("proxyContext") or "../../../images/proxy"),
        network=networks.frontend,
        routes=[ProxyRoute(path_prefix="/", upstream_host=visits.proxy_host, upstream_port=8080)],
        upstreams={visits.alias: visits.upstream} if visits.upstream is not None else {},
        http_port=config.get_int("httpPort") or 8080,
        **given(nginx_version=config.get("nginxVersion")),
    ),
)

pulumi.export("url", proxy.url)
pulumi.export("container", visits.container_name)
pulumi.export("release", visits.release.tag if visits.release is not None else None)
# for the test that searches every container for them
pulumi.export("secret_values", pulumi.Output.secret(pulumi.Output.all(db.url, db.password)))
