"""Two APIs (orders, billing) sharing one PostgreSQL and one Redis behind one proxy.

Run from this directory: ``pulumi install && pulumi stack init dev && pulumi up``. The components
come from the ``standard-stack`` distribution, installed like any library (requirements.txt).
"""

import pulumi

from standard_stack import (
    DatabaseConnection,
    ImageBuild,
    PostgresService,
    PostgresServiceArgs,
    ProxyRoute,
    PythonApi,
    PythonApiArgs,
    RedisConnection,
    RedisService,
    RedisServiceArgs,
    Resources,
    ReverseProxy,
    ReverseProxyArgs,
    Runtime,
    StackNetworks,
    StackNetworksArgs,
)

runtime = Runtime(project=pulumi.get_project(), stack=pulumi.get_stack(), restart="unless-stopped")
small = Resources(memory="256Mi", cpus="0.5")
app = ImageBuild(context="../../images/api")

networks = StackNetworks("networks", StackNetworksArgs(runtime=runtime))
db = PostgresService(
    "db",
    PostgresServiceArgs(
        runtime=runtime,
        network=networks.backend,
        database="orders",
        user="app",
        # the second database, created on first start
        init_sql={"10-billing.sql": "CREATE DATABASE billing OWNER app;\n"},
        resources=Resources(memory="1Gi", cpus="1"),
    ),
)
cache = RedisService("cache", RedisServiceArgs(runtime=runtime, network=networks.backend, resources=small))

apis = {}
for service in ("orders", "billing"):
    apis[service] = PythonApi(
        service,
        PythonApiArgs(
            runtime=runtime,
            build=app,
            database=DatabaseConnection(host=db.host, port=db.port, database=service, user=db.user, password=db.password),
            redis=RedisConnection(host=cache.host, port=cache.port, password=cache.password),
            frontend_network=networks.frontend,
            backend_network=networks.backend,
            alias=service,
            root_path=f"/{service}",
            resources=small,
            depends_on=[*db.ready, cache.container],
        ),
    )

edge = ReverseProxy(
    "edge",
    ReverseProxyArgs(
        runtime=runtime,
        network=networks.frontend,
        routes=[
            ProxyRoute(path_prefix=f"/{name}/", upstream_host=api.alias, upstream_port=api.port, strip_prefix=True)
            for name, api in apis.items()
        ],
        upstreams={api.alias: api.upstream for api in apis.values()},
        http_port=8090,
        resources=Resources(memory="128Mi", cpus="0.5"),
    ),
)

pulumi.export("url", edge.url)
pulumi.export("orders_health", edge.url.apply(lambda url: f"{url}/orders/health"))
pulumi.export("billing_health", edge.url.apply(lambda url: f"{url}/billing/health"))
