"""The notes page (tests/apps/next-prisma), deployed unchanged with App: Next.js standalone reading Postgres through Prisma.

The app has no health route: the component probes ``GET /`` with the image's own ``node``. It reads
DATABASE_URL from its environment: the URL of a database and role of its own on the server
(``app_databases``, not the superuser), handed over as a secret and set in the app's own process by
the exec wrapper, never in the container's config. Its one-shot job, before each release starts, is
the seed's ``npx prisma migrate deploy``. Next.js writes only ``/app/.next/cache`` (and ``/tmp``):
the root is read-only with a tmpfs at each, owned by the image's user ``nextjs`` (1001).

Config: ``httpPort`` (default 8080), ``appContext`` and ``proxyContext`` (build contexts, relative to
this directory), ``prismaSchemaEngineBinary`` (the app's build argument PRISMA_SCHEMA_ENGINE_BINARY,
for a build host that cannot download Prisma's schema engine), ``migrationCommand`` (a JSON list
replacing the job's command), ``postgresImage`` and ``nginxVersion`` (default: the library's pinned
versions).
"""

import pulumi

from standard_stack import (
    App,
    AppArgs,
    AppDatabase,
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
    PostgresServiceArgs(
        runtime=runtime,
        network=networks.backend,
        app_databases={"notes-web": AppDatabase(database="notes_web", user="notes_web")},
        **given(image=config.get("postgresImage")),
    ),
)
web_db = db.connections["notes-web"]
engine = config.get("prismaSchemaEngineBinary")
web = App(
    "notes-web",
    AppArgs(
        runtime=runtime,
        build=ImageBuild(
            context=config.get("appContext") or "../../apps/next-prisma",
            target="runner",
            args={"PRISMA_SCHEMA_ENGINE_BINARY": engine} if engine else {},
        ),
        port=3000,
        networks=[networks.frontend, networks.backend],
        health=HealthCheck(http_path="/", prober="node", start_period="20s"),
        entrypoint=["docker-entrypoint.sh"],  # the node image's, which the app's image keeps
        command=["node", "server.js"],
        # no call home from the job's npx and Prisma CLI: npm's update check, Prisma's telemetry
        env={"NPM_CONFIG_UPDATE_NOTIFIER": "false", "CHECKPOINT_DISABLE": "1"},
        secrets={"DATABASE_URL": web_db.url},
        secrets_as_env=True,
        job=AppJob(
            command=config.get_object("migrationCommand") or ["npx", "prisma", "migrate", "deploy"],
            name="migrate",
            what="database migration",
        ),
        tmpfs={"/tmp": "rw,noexec,nosuid,size=64m", "/app/.next/cache": "rw,noexec,nosuid,size=128m,uid=1001,gid=1001"},
        depends_on=db.ready,
    ),
)
proxy = ReverseProxy(
    "proxy",
    ReverseProxyArgs(
        runtime=runtime,
        build=ImageBuild(context=config.get("proxyContext") or "../../../images/proxy"),
        network=networks.frontend,
        routes=[ProxyRoute(path_prefix="/", upstream_host=web.proxy_host, upstream_port=3000)],
        upstreams={web.alias: web.upstream} if web.upstream is not None else {},
        http_port=config.get_int("httpPort") or 8080,
        **given(nginx_version=config.get("nginxVersion")),
    ),
)

pulumi.export("url", proxy.url)
pulumi.export("container", web.container_name)
pulumi.export("release", web.release.tag if web.release is not None else None)
pulumi.export("database_user", web_db.user)
# for the tests that write rows as the app's role and search every container and the state for them
pulumi.export("database_url", web_db.url)
pulumi.export("secret_values", pulumi.Output.secret(pulumi.Output.all(web_db.url, web_db.password, db.url, db.password)))
