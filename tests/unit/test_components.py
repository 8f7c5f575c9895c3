"""Each component on its own, as another program would use it."""

from __future__ import annotations

import re

import pulumi
import pytest

from standard_stack import (
    DatabaseConnection,
    ImageBuild,
    NextApp,
    NextAppArgs,
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
from standard_stack._wiring import COMPONENT_LABEL, Upstream
from tests.support.program import CONTAINER, RecordingMocks, run_program

RUNTIME = Runtime(project="shop", stack="test")


def run(body, mocks=None):
    mocks = mocks or RecordingMocks()
    return run_program(mocks, {}, stack="test", program=body), mocks


def containers(mocks):
    return {r.name: r for r in mocks.of_type(CONTAINER)}


def test_postgres_generates_a_password_when_none_is_given_and_delivers_it_as_a_file():
    _result, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net")))
    assert [r.name for r in mocks.of_type("random:index/randomPassword:RandomPassword")] == ["db-password"]
    env = containers(mocks)["db"].plain("envs")
    assert "POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password" in env
    assert not any(e.startswith("POSTGRES_PASSWORD=") for e in env)
    upload = containers(mocks)["db-secrets-files-loader"].plain("uploads")[0]
    assert upload == {
        "file": "/run/secrets/postgres_password",
        "content": "generated-db-password-0123456789abcdef",
        "permissions": "0440",
    }


def test_postgres_uses_a_given_password_and_registers_no_generator():
    _, mocks = run(
        lambda: PostgresService(
            "db", PostgresServiceArgs(runtime=RUNTIME, network="net", password=pulumi.Output.secret("s3cret"))
        )
    )
    assert mocks.of_type("random:index/randomPassword:RandomPassword") == []
    assert containers(mocks)["db-secrets-files-loader"].plain("uploads")[0]["content"] == "s3cret"


def test_postgres_init_sql_is_mounted_read_only_at_the_initdb_directory():
    _, mocks = run(
        lambda: PostgresService(
            "db", PostgresServiceArgs(runtime=RUNTIME, network="net", init_sql={"01-ext.sql": "CREATE EXTENSION pgcrypto;"})
        )
    )
    mounts = {v["containerPath"]: v for v in containers(mocks)["db"].plain("volumes")}
    assert mounts["/docker-entrypoint-initdb.d"]["readOnly"] is True
    assert mounts["/var/lib/postgresql/data"]["volumeName"] == "shop-test-db-data"


def test_postgres_health_check_asks_pg_isready_for_its_own_database():
    _, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net", user="u", database="d")))
    assert containers(mocks)["db"].plain("healthcheck")["tests"] == [
        "CMD",
        "pg_isready",
        "-h",
        "127.0.0.1",
        "-p",
        "5432",
        "-U",
        "u",
        "-d",
        "d",
    ]


def test_redis_password_lives_in_its_config_file_not_in_the_command():
    _, mocks = run(
        lambda: RedisService(
            "cache", RedisServiceArgs(runtime=RUNTIME, network="net", password=pulumi.Output.secret("pw"), maxmemory="64Mi")
        )
    )
    redis = containers(mocks)["cache"]
    assert redis.plain("command") == ["redis-server", "/run/secrets/redis.conf"]
    files = {u["file"]: u["content"] for u in containers(mocks)["cache-secrets-files-loader"].plain("uploads")}
    conf = files["/run/secrets/redis.conf"]
    assert 'requirepass "pw"' in conf and "appendonly yes" in conf and "maxmemory 67108864" in conf
    assert "pw" not in str(redis.plain("healthcheck"))


def test_redis_runs_as_its_own_user_from_the_start():
    _, mocks = run(lambda: RedisService("cache", RedisServiceArgs(runtime=RUNTIME, network="net")))
    assert containers(mocks)["cache"].plain("user") == "999:0"


def api_args(**overrides):
    base = dict(
        runtime=RUNTIME,
        database=DatabaseConnection(host="db", port=5432, database="app", user="app", password=pulumi.Output.secret("dbpw")),
        redis=RedisConnection(host="cache", port=6379, password=pulumi.Output.secret("rpw")),
        frontend_network="front",
        backend_network="back",
    )
    return PythonApiArgs(**{**base, **overrides})


def test_api_can_be_pointed_at_another_app_and_dockerfile():
    build = ImageBuild(context="../orders", dockerfile="../orders/docker/Dockerfile", target="prod", args={"EXTRA": "1"})
    _, mocks = run(lambda: PythonApi("orders", api_args(build=build, python_version="3.13")))
    image = mocks.named("orders-image")
    assert image.plain("build") == {
        "context": "../orders",
        "dockerfile": "../orders/docker/Dockerfile",
        "target": "prod",
        "args": {"EXTRA": "1", "PYTHON_VERSION": "3.13"},
        "platform": "linux/amd64",
    }
    assert re.fullmatch(r"shop-orders:test-[0-9a-f]{12}", image.plain("imageName"))


def test_api_pushes_to_a_registry_when_one_is_configured():
    _, mocks = run(lambda: PythonApi("api", api_args(registry="registry.example.com/team")))
    image = mocks.named("api-image")
    assert re.fullmatch(r"registry\.example\.com/team/shop-api:test-[0-9a-f]{12}", image.plain("imageName"))
    assert image.plain("skipPush") is False


def test_api_env_holds_settings_and_no_passwords():
    _, mocks = run(lambda: PythonApi("api", api_args()))
    env = containers(mocks)["api"].plain("envs")
    assert "POSTGRES_HOST=db" in env and "REDIS_HOST=cache" in env and "SECRETS_DIR=/run/secrets" in env
    assert not any("dbpw" in e or "rpw" in e for e in env)


def test_api_hot_reload_uses_the_dev_target_and_mounts_the_sources(tmp_path):
    _, mocks = run(lambda: PythonApi("api", api_args(hot_reload_source=str(tmp_path))))
    assert mocks.named("api-image").plain("build")["target"] == "dev"
    mounts = {v["containerPath"]: v for v in containers(mocks)["api"].plain("volumes")}
    assert mounts["/app/app"] == {"hostPath": str(tmp_path), "containerPath": "/app/app", "readOnly": True}


def web_args(**overrides):
    base = dict(runtime=RUNTIME, network="front", api_url="http://api:8000", public_url="https://shop.example")
    return NextAppArgs(**{**base, **overrides})


@pytest.mark.parametrize(
    "app",
    [lambda: PythonApi("api", api_args(hot_reload_source="")), lambda: NextApp("web", web_args(hot_reload_source=""))],
    ids=["api", "web"],
)
def test_an_empty_hot_reload_source_is_refused_rather_than_taken_for_the_working_directory(app):
    with pytest.raises(pulumi.RunError, match="hot_reload_source is empty; give the host directory"):
        run(app)


class FailedMigration(RecordingMocks):
    def new_resource(self, args):
        rid, outputs = super().new_resource(args)
        if args.name.endswith("-migrate"):
            outputs.update(exitCode=1, containerLogs="alembic.util.exc.CommandError: Can't locate revision 'abc'")
        return rid, outputs


def test_a_failed_migration_fails_the_deploy_with_its_log_and_never_starts_the_api():
    with pytest.raises(pulumi.RunError) as caught:
        run(lambda: PythonApi("api", api_args()), mocks=FailedMigration())
    message = str(caught.value)
    assert "database migration failed with exit code 1" in message
    assert "Can't locate revision 'abc'" in message


def test_a_failed_migration_registers_no_api_container():
    mocks = FailedMigration()
    with pytest.raises(pulumi.RunError):
        run(lambda: PythonApi("api", api_args()), mocks=mocks)
    assert "api" not in containers(mocks)


def test_next_app_reaches_the_api_by_its_internal_url_only_server_side():
    _, mocks = run(
        lambda: NextApp(
            "web", NextAppArgs(runtime=RUNTIME, network="front", api_url="http://api:8000", public_url="https://shop.example")
        )
    )
    env = containers(mocks)["web"].plain("envs")
    assert "API_INTERNAL_URL=http://api:8000" in env and "PUBLIC_URL=https://shop.example" in env
    assert containers(mocks)["web"].plain("tmpfs") == {
        "/tmp": "rw,noexec,nosuid,size=64m",
        "/app/.next/cache": "rw,noexec,nosuid,size=128m,uid=1001,gid=1001",
    }


def proxy_args(**overrides):
    base = dict(
        runtime=RUNTIME,
        network="front",
        routes=[
            ProxyRoute(path_prefix="/api/", upstream_host="api", upstream_port=8000, strip_prefix=True),
            ProxyRoute(path_prefix="/", upstream_host="web", upstream_port=3000),
        ],
    )
    return ReverseProxyArgs(**{**base, **overrides})


def test_proxy_renders_its_routes_into_the_site_config():
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    files = {u["file"]: u["content"] for u in containers(mocks)["edge-site-files-loader"].plain("uploads")}
    site = files["/etc/nginx/site/site.conf"]
    assert "location /api/" in site and "location /" in site and "location = /healthz" in site
    assert "resolver 127.0.0.11" in site


def test_proxy_routes_an_alias_to_the_container_it_stands_for_now():
    def program() -> None:
        upstreams = {"api": Upstream(host=pulumi.Output.from_input("api-4f2a9c1"), address="172.18.0.5")}
        ReverseProxy("edge", proxy_args(nginx_version="1.30.0", upstreams=upstreams))

    _, mocks = run(program)
    files = {u["file"]: u["content"] for u in containers(mocks)["edge-site-files-loader"].plain("uploads")}
    site = files["/etc/nginx/site/site.conf"]
    assert "server api-4f2a9c1:8000 resolve max_fails=0;\n    server 172.18.0.5:8000 backup max_fails=0;" in site
    assert "server web:3000 resolve max_fails=0;\n    keepalive 32;" in site  # no upstream given: the alias


def test_proxy_refuses_an_upstream_that_no_route_uses():
    upstreams = {"admin": Upstream(host="admin-1", address="172.18.0.9")}
    with pytest.raises(pulumi.RunError, match=r"upstreams admin match no route's upstream_host \(api, web\)"):
        run(lambda: ReverseProxy("edge", proxy_args(upstreams=upstreams)))


def test_proxy_with_tls_ships_certificate_and_key_as_secret_files_and_publishes_both_ports():
    cert = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
    key = "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n"
    _, mocks = run(
        lambda: ReverseProxy(
            "edge",
            proxy_args(
                tls=True,
                tls_certificate=pulumi.Output.secret(cert),
                tls_private_key=pulumi.Output.secret(key),
                http_port=80,
                https_port=443,
                bind_address="0.0.0.0",
            ),
        )
    )
    loader = containers(mocks)["edge-site-files-loader"]
    assert loader.is_secret("uploads")
    files = {u["file"]: u["content"] for u in loader.plain("uploads")}
    assert files["/etc/nginx/site/tls/key.pem"] == key
    assert [p["external"] for p in containers(mocks)["edge"].plain("ports")] == [80, 443]


def test_proxy_refuses_a_key_pasted_into_the_certificate_setting_without_echoing_it():
    key = "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"
    with pytest.raises(pulumi.RunError) as caught:
        run(
            lambda: ReverseProxy(
                "edge", proxy_args(tls=True, tls_certificate=pulumi.Output.secret(key), tls_private_key=pulumi.Output.secret(key))
            )
        )
    assert "edge: tls_certificate is not a PEM certificate" in str(caught.value)
    assert "TOPSECRET" not in str(caught.value)


def test_proxy_refusals_name_the_tls_input_as_the_calling_program_calls_it():
    key = "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"
    with pytest.raises(pulumi.RunError) as caught:
        run(
            lambda: ReverseProxy(
                "edge",
                proxy_args(tls=True, tls_certificate=key, tls_private_key=key, tls_setting="standard-stack:{key}"),
            )
        )
    assert "standard-stack:tlsCertificate is not a PEM certificate" in str(caught.value)


def test_proxy_needs_at_least_one_route():
    with pytest.raises(ValueError, match="routes"):
        ReverseProxyArgs(runtime=RUNTIME, network="front", routes=[])


def test_resources_are_converted_to_provider_units():
    _, mocks = run(
        lambda: RedisService(
            "cache",
            RedisServiceArgs(
                runtime=RUNTIME, network="net", resources=Resources(memory="1Gi", memory_reservation="512Mi", cpus=0.25)
            ),
        )
    )
    redis = containers(mocks)["cache"]
    assert (redis.plain("memory"), redis.plain("memorySwap"), redis.plain("memoryReservation"), redis.plain("cpus")) == (
        1024,
        1024,
        512,
        "0.25",
    )


def test_component_args_refuse_unknown_fields():
    with pytest.raises(ValueError, match="extra"):
        RedisServiceArgs(runtime=RUNTIME, network="net", max_memory="1Gi")  # type: ignore[call-arg]


@pytest.mark.parametrize(("version", "marker"), [("1.28", "resolve"), ("1.22", "set $upstream_")])
def test_proxy_keeps_upstream_connections_alive_where_nginx_can_re_resolve_them(version, marker):
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args(nginx_version=version)))
    site = next(
        u["content"] for u in containers(mocks)["edge-site-files-loader"].plain("uploads") if u["file"].endswith("site.conf")
    )
    assert marker in site
    assert ("keepalive 32" in site) == (version == "1.28")


def urn_of(r) -> str:
    """The URN's type-and-name part: the parent's qualified type chain (not its name), then type and name."""
    parent_types = r.parent.split("::")[2] if r.parent else None
    return f"{parent_types}${r.typ}::{r.name}" if parent_types else f"{r.typ}::{r.name}"


def two_of_each():
    for suffix in ("a", "b"):
        nets = StackNetworks(f"net-{suffix}", StackNetworksArgs(runtime=RUNTIME))
        PostgresService(f"db-{suffix}", PostgresServiceArgs(runtime=RUNTIME, network=nets.backend))
        RedisService(f"cache-{suffix}", RedisServiceArgs(runtime=RUNTIME, network=nets.backend))
        PythonApi(f"api-{suffix}", api_args(alias=f"api-{suffix}"))
        NextApp(f"web-{suffix}", NextAppArgs(runtime=RUNTIME, network="front", api_url="http://api:8000", public_url="http://x"))
        ReverseProxy(f"edge-{suffix}", proxy_args(http_port=8080 if suffix == "a" else 8081))


def test_two_of_each_component_register_without_colliding_urns():
    _, mocks = run(two_of_each)
    urns = [urn_of(r) for r in mocks.registered]
    assert len(urns) == len(set(urns)), sorted(u for u in urns if urns.count(u) > 1)


def test_two_of_each_component_give_docker_objects_distinct_names():
    _, mocks = run(two_of_each)
    named = [(r.typ, r.plain("name")) for r in mocks.registered if r.typ.startswith("docker:") and r.plain("name")]
    named = [n for n in named if n[0] != "docker:index/remoteImage:RemoteImage"]  # image references are shared on purpose
    assert len(named) == len(set(named)), sorted(n for n in named if named.count(n) > 1)


def test_stack_networks_keep_the_first_stacks_resource_names_through_aliases():
    from tests.support.program import RecordingMonitor  # noqa: F401 - documents where options are recorded

    _, mocks = run(lambda: StackNetworks("networks", StackNetworksArgs(runtime=RUNTIME)))
    assert sorted(r.name for r in mocks.of_type("docker:index/network:Network")) == ["networks-backend", "networks-frontend"]
    assert sorted(r.plain("name") for r in mocks.of_type("docker:index/network:Network")) == [
        "shop-test-backend",
        "shop-test-frontend",
    ]


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (lambda: PostgresService("orders", PostgresServiceArgs(runtime=RUNTIME, network="n")), "postgres"),
        (lambda: RedisService("sessions", RedisServiceArgs(runtime=RUNTIME, network="n")), "redis"),
        (lambda: PythonApi("billing", api_args()), "api"),
        (
            lambda: NextApp("shop", NextAppArgs(runtime=RUNTIME, network="n", api_url="http://a:1", public_url="http://x")),
            "web",
        ),
        (lambda: ReverseProxy("edge", proxy_args()), "proxy"),
    ],
)
def test_services_are_labelled_with_their_component_kind_whatever_their_name(build, kind):
    _, mocks = run(build)
    service = next(c for c in mocks.of_type(CONTAINER) if not c.plain("attach"))
    assert {"label": COMPONENT_LABEL, "value": kind} in service.plain("labels")


def test_postgres_runs_as_its_own_user_on_a_read_only_root_with_no_capabilities():
    _, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net")))
    db = containers(mocks)["db"]
    assert db.plain("user") == "999:0"
    assert db.plain("readOnly") is True
    assert set(db.plain("tmpfs")) == {"/tmp"}
    assert {"volumeName": "shop-test-db-socket", "containerPath": "/var/run/postgresql"} in db.plain("volumes")
    assert db.plain("capabilities") == {"drops": ["ALL"]}


def test_postgres_stops_with_its_fast_shutdown_signal_as_pid_1():
    _, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net")))
    db = containers(mocks)["db"]
    assert db.plain("init") is False and db.plain("stopSignal") == "SIGINT"
    assert db.plain("stopTimeout") == RUNTIME.stop_grace_seconds == db.plain("destroyGraceSeconds")


def test_redis_runs_on_a_read_only_root_as_pid_1():
    _, mocks = run(lambda: RedisService("cache", RedisServiceArgs(runtime=RUNTIME, network="net")))
    cache = containers(mocks)["cache"]
    assert cache.plain("readOnly") is True and cache.plain("init") is False


def test_images_are_built_and_pulled_for_the_docker_hosts_platform():
    arm = RUNTIME.model_copy(update={"platform": "linux/arm64"})
    _, mocks = run(
        lambda: (PythonApi("api", api_args(runtime=arm)), PostgresService("db", PostgresServiceArgs(runtime=arm, network="n")))
    )
    assert mocks.named("api-image").plain("build")["platform"] == "linux/arm64"
    assert mocks.named("db-image").plain("platform") == "linux/arm64"


def test_proxy_outputs_the_public_url_not_the_bind_address():
    result, _ = run(lambda: pulumi.export("url", ReverseProxy("edge", proxy_args(public_url="https://example.com/")).url))
    assert result.values["url"] == "https://example.com"


def test_api_trusts_forwarded_headers_only_from_the_given_network():
    _, mocks = run(lambda: PythonApi("api", api_args(trusted_proxies="172.30.0.0/16")))
    assert "FORWARDED_ALLOW_IPS=172.30.0.0/16" in containers(mocks)["api"].plain("envs")


# --- config changes reload nginx in place (the proxy container follows only its image and ports)


def test_proxy_container_inputs_do_not_follow_the_site_files():
    """Nothing of the files loader (its id is what changes with the files) reaches the proxy's inputs."""
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    assert "edge-site-files-loader-id" not in str(containers(mocks)["edge"].inputs)


def test_a_reload_runs_in_the_proxy_pid_namespace_as_the_nginx_user_once_per_files_revision():
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    reload = containers(mocks)["edge-reload"]
    assert reload.plain("pidMode") == "container:edge-id"
    assert reload.plain("user") == "101:0" and reload.plain("entrypoints") == ["/usr/local/bin/nginx-reload"]
    assert reload.plain("envs") == ["REVISION=edge-site-files-loader-id"]
    assert reload.plain("attach") is True and reload.plain("mustRun") is False and reload.plain("networkMode") == "none"
    assert reload.plain("capabilities") == {"drops": ["ALL"]} and reload.plain("readOnly") is True


class FailedReload(RecordingMocks):
    def new_resource(self, args):
        rid, outputs = super().new_resource(args)
        if args.name.endswith("-reload"):
            outputs.update(exitCode=1, containerLogs="nginx-reload: nginx kept its old workers after 30s")
        return rid, outputs


def test_a_reload_nginx_refuses_fails_the_deploy_with_its_log():
    with pytest.raises(pulumi.RunError) as caught:
        run(lambda: ReverseProxy("edge", proxy_args()), mocks=FailedReload())
    assert "nginx did not take the new configuration" in str(caught.value)
    assert "kept its old workers" in str(caught.value)


# --- proxy.acme


def acme_proxy(**acme):
    from standard_stack import AcmeArgs

    args = AcmeArgs(domain="shop.example.com", directory_url="https://ca.internal/dir", **acme)
    return ReverseProxy("edge", proxy_args(tls=True, server_name="shop.example.com", acme=args))


def test_acme_client_runs_as_its_own_user_in_its_own_pid_namespace():
    _, mocks = run(lambda: acme_proxy(email="ops@example.com"))
    client = containers(mocks)["edge-acme"]
    assert client.plain("pidMode") is None and client.plain("user") == "1101:0"
    assert "ACME_PROXY_ADDRESS=edge:8443" in client.plain("envs")
    assert "ACME_DIRECTORY_URL=https://ca.internal/dir" in client.plain("envs")
    assert "ACME_DOMAIN=shop.example.com" in client.plain("envs") and "ACME_EMAIL=ops@example.com" in client.plain("envs")
    assert mocks.named("edge-acme-image").plain("build")["target"] == "acme"


def test_acme_reloader_alone_shares_the_proxy_s_pid_namespace_without_network_or_write_access():
    _, mocks = run(lambda: acme_proxy())
    reloader = containers(mocks)["edge-acme-reload"]
    assert reloader.plain("pidMode") == "container:edge-id" and reloader.plain("user") == "101:0"
    assert reloader.plain("networkMode") == "none" and reloader.plain("command") == [
        "--watch",
        "/etc/nginx/acme/current/installed",
    ]
    assert [m["readOnly"] for m in reloader.plain("volumes")] == [True]


def test_acme_init_takes_the_volume_over_as_root_with_three_capabilities_only():
    _, mocks = run(lambda: acme_proxy())
    init = containers(mocks)["edge-acme-init"]
    assert init.plain("user") == "0:0"
    assert init.plain("capabilities") == {"drops": ["ALL"], "adds": ["CHOWN", "DAC_OVERRIDE", "FOWNER"]}


def test_acme_volume_is_protected_and_mounted_read_only_in_the_proxy():
    result, mocks = run(lambda: acme_proxy())
    assert mocks.named("edge-acme-data").inputs["name"] == "shop-test-edge-acme-data"
    options = result.options("edge-acme-data", "docker:index/volume:Volume")
    assert options.protect is True and options.retain_on_delete is True
    proxy_mounts = {m["containerPath"]: m for m in containers(mocks)["edge"].plain("volumes")}
    assert proxy_mounts["/etc/nginx/acme"]["readOnly"] is True
    client_mounts = {m["containerPath"]: m for m in containers(mocks)["edge-acme"].plain("volumes")}
    assert not client_mounts["/etc/nginx/acme"].get("readOnly")


def test_acme_placeholder_is_made_before_nginx_starts():
    result, mocks = run(lambda: acme_proxy())
    init = containers(mocks)["edge-acme-init"]
    assert init.plain("command") == ["init"] and init.plain("attach") is True and init.plain("networkMode") == "none"
    assert result.depends_on("edge", "edge-acme-init")


def test_acme_site_serves_the_challenge_over_http_and_the_acme_certificate_over_https():
    _, mocks = run(lambda: acme_proxy())
    site = next(
        u["content"] for u in containers(mocks)["edge-site-files-loader"].plain("uploads") if u["file"].endswith("site.conf")
    )
    assert "location ^~ /.well-known/acme-challenge/ {\n        root /etc/nginx/acme/webroot;" in site
    assert "ssl_certificate /etc/nginx/acme/current/fullchain.pem;" in site
    assert not any(u["file"].endswith(".pem") for u in containers(mocks)["edge-site-files-loader"].plain("uploads"))


def test_acme_without_tls_is_refused():
    from standard_stack import AcmeArgs

    with pytest.raises(pulumi.RunError, match="acme needs tls"):
        run(lambda: ReverseProxy("edge", proxy_args(acme=AcmeArgs(domain="shop.example.com"))))


def test_standard_stack_builds_the_whole_stack_from_settings_alone():
    """A program without this repo's stack files: settings as Python, passwords generated."""
    from standard_stack import StackSettings, StandardStack, StandardStackArgs

    mocks = RecordingMocks()
    settings = StackSettings(environment="dev", public_url="http://localhost:45080", proxy={"http_port": 45080})
    run(lambda: StandardStack("shop", StandardStackArgs(settings=settings, project="shop", stack="dev")), mocks)
    components = {r.typ.rsplit(":", 1)[1] for r in mocks.registered if r.typ.startswith("standard-stack:")}
    assert components == {
        "StandardStack",
        "StackNetworks",
        "PostgresService",
        "RedisService",
        "PythonApi",
        "NextApp",
        "ReverseProxy",
    }
    assert mocks.named("proxy", CONTAINER).plain("ports")[0]["external"] == 45080
