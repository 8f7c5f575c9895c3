"""The notes API (tests/apps/fastapi-app) and its Celery worker, deployed unchanged with App and Worker.

The app reads DATABASE_URL, REDIS_URL and SECRET_KEY from its environment (pydantic-settings): they
are handed over as secrets, set in the app's own process at start by the exec wrapper, never in the
container's config. Config: ``secretKey`` (secret, required), ``httpPort`` (default 8080),
``appContext`` and ``proxyContext`` (build contexts, relative to this directory), ``postgresImage``,
``redisImage`` and ``nginxVersion`` (default: the library's pinned versions).
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
    RedisService,
    RedisServiceArgs,
    ReverseProxy,
    ReverseProxyArgs,
    Runtime,
    StackNetworks,
    StackNetworksArgs,
    Worker,
    WorkerArgs,
)

config = pulumi.Config()
runtime = Runtime(project=pulumi.get_project(), stack=pulumi.get_stack())
networks = StackNetworks("networks", StackNetworksArgs(runtime=runtime))


def given(**settings: str | None) -> dict[str, str]:
    """The settings whose config key is set; the others keep the library's pinned default."""
    return {field: value for field, value in settings.items() if value}


db = PostgresService(
    "postgres",
    PostgresServiceArgs(runtime=runtime, network=networks.backend, database="notes", **given(image=config.get("postgresImage"))),
)
cache = RedisService(
    "redis", RedisServiceArgs(runtime=runtime, network=networks.backend, **given(image=config.get("redisImage")))
)

# the app's own settings, as it names them; its image runs /entrypoint.sh (waits for the database) then CMD
secrets = {"DATABASE_URL": db.url, "REDIS_URL": cache.url, "SECRET_KEY": config.require_secret("secretKey")}
entrypoint = ["/entrypoint.sh"]
api = App(
    "notes",
    AppArgs(
        runtime=runtime,
        build=ImageBuild(context=config.get("appContext") or "../../apps/fastapi-app"),
        port=8000,
        user="1001:1001",  # the image's appuser, said again so a policy sees a non-root user
        networks=[networks.frontend, networks.backend],
        health=HealthCheck(http_path="/health/", prober="python3"),
        entrypoint=entrypoint,
        command=["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"],
        env={"ENVIRONMENT": "production"},
        secrets=secrets,
        secrets_as_env=True,
        job=AppJob(command=["alembic", "upgrade", "head"], name="migrate", what="database migration"),
        depends_on=[*db.ready, cache.container],
    ),
)
worker = Worker(
    "notes-worker",
    WorkerArgs(
        runtime=runtime,
        image=api.image_name,  # the API's release: one build, two processes
        user="1001:1001",
        networks=[networks.backend],
        entrypoint=entrypoint,
        command=["celery", "-A", "app.tasks", "worker", "--loglevel=info", "--concurrency=1"],
        env={"ENVIRONMENT": "production"},
        secrets=secrets,
        secrets_as_env=True,
        depends_on=[api],  # migrated first
    ),
)
proxy = ReverseProxy(
    "proxy",
    ReverseProxyArgs(
        runtime=runtime,
        build=ImageBuild(context=config.get("proxyContext") or "../../../images/proxy"),
        network=networks.frontend,
        routes=[ProxyRoute(path_prefix="/", upstream_host=api.proxy_host, upstream_port=8000)],
        upstreams={api.alias: api.upstream} if api.upstream is not None else {},
        http_port=config.get_int("httpPort") or 8080,
        **given(nginx_version=config.get("nginxVersion")),
    ),
)

pulumi.export("url", proxy.url)
pulumi.export("api_container", api.container_name)
pulumi.export("worker_container", worker.container_name)
pulumi.export("release", api.release.tag if api.release is not None else None)
# for the test that searches every container for them
pulumi.export("secret_values", pulumi.Output.secret(pulumi.Output.all(db.url, db.password, cache.url, cache.password)))
