"""Swarm services from the shared description (components/_swarm.py), under mocks: exactly what is registered."""

from __future__ import annotations

import base64

import pulumi
import pytest

from standard_stack import Resources, Runtime
from standard_stack._swarm import TaskNetwork, secret_files, swarm_service
from standard_stack._wiring import LogRotation, healthcheck
from tests.support.program import RecordingMocks, run_program

SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"
RUNTIME = Runtime(project="shop", stack="test")
LABELS = [
    {"label": "dev.standard-stack.component", "value": "api"},
    {"label": "dev.standard-stack.project", "value": "shop"},
    {"label": "dev.standard-stack.service", "value": "app"},
    {"label": "dev.standard-stack.stack", "value": "test"},
]


def register(runtime=RUNTIME, **overrides):
    """Runs one swarm_service (plus its secret files) in a throwaway program; returns the mocks."""
    mocks = RecordingMocks()

    def body():
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        args = dict(
            runtime=runtime,
            service="app",
            component="api",
            image="registry.example.com/team/shop-app@sha256:abc",
            resources=Resources(),
            health=healthcheck(["CMD", "true"]),
            networks=[TaskNetwork(id="front-id", aliases=["app"])],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        args.update(overrides)
        if "secrets" in args:
            args["secrets"] = secret_files("app", runtime=runtime, service="app", files=args["secrets"], parent=parent)
        swarm_service("app", **args)

    run_program(mocks, {}, stack="test", program=body)
    return mocks


def test_an_app_service_registers_replicas_start_first_rollback_dnsrr_and_the_shared_wiring():
    mocks = register(
        replicas=3,
        resources=Resources(memory="512Mi", memory_reservation="128Mi", cpus="0.5"),
        envs={"B": "2", "A": "1"},
        tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
        user="10001:0",
        read_only=True,
    )
    assert [(r.typ, r.name) for r in mocks.registered if r.typ != "test:index:Parent"] == [(SERVICE, "app")]
    update = {"parallelism": 1, "delay": "0s", "order": "start-first", "monitor": "10s", "maxFailureRatio": "0"}
    assert mocks.named("app").inputs == {
        "name": "shop-test-app",
        "labels": LABELS,
        "mode": {"replicated": {"replicas": 3}},
        "updateConfig": {**update, "failureAction": "rollback"},
        "rollbackConfig": {**update, "failureAction": "pause"},
        "convergeConfig": {"delay": "5s", "timeout": "5m"},
        "endpointSpec": {"mode": "dnsrr"},
        "taskSpec": {
            "containerSpec": {
                "image": "registry.example.com/team/shop-app@sha256:abc",
                "env": {"A": "1", "B": "2"},
                "user": "10001:0",
                "readOnly": True,
                "init": True,
                "capDrops": ["ALL"],
                "healthcheck": {"tests": ["CMD", "true"], "interval": "5s", "timeout": "3s", "startPeriod": "10s", "retries": 5},
                "mounts": [{"target": "/tmp", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 64 * 1024**2}}],
                "labels": LABELS,
                "stopGracePeriod": "20s",
            },
            "networksAdvanceds": [{"id": "front-id", "aliases": ["app"]}],
            "resources": {
                "limits": {"memoryBytes": 512 * 1024**2, "nanoCpus": 500_000_000},
                "reservation": {"memoryBytes": 128 * 1024**2},
            },
            "restartPolicy": {"condition": "any", "delay": "5s", "window": "0s"},
            "logDriver": {"name": "json-file", "options": {"max-size": "10m", "max-file": "3"}},
        },
    }


def test_a_data_service_updates_stop_first_and_is_pinned_to_its_labelled_node():
    service = register(order="stop-first", node_label="dev.standard-stack.postgres").named("app")
    assert service.plain("updateConfig")["order"] == "stop-first"
    assert service.plain("rollbackConfig")["order"] == "stop-first"
    assert service.plain("taskSpec")["placement"] == {"constraints": ["node.labels.dev.standard-stack.postgres==true"]}


def test_an_app_service_has_no_placement_constraint():
    assert "placement" not in register().named("app").plain("taskSpec")


def test_a_service_without_limits_sends_no_resources():
    assert "resources" not in register().named("app").plain("taskSpec")


@pytest.mark.parametrize(
    ("restart", "condition"), [("no", "none"), ("on-failure", "on-failure"), ("always", "any"), ("unless-stopped", "any")]
)
def test_the_hosts_restart_policy_maps_to_swarms_condition(restart, condition):
    service = register(runtime=Runtime(project="shop", stack="test", restart=restart)).named("app")
    assert service.plain("taskSpec")["restartPolicy"] == {"condition": condition, "delay": "5s", "window": "0s"}


def test_log_rotation_and_stop_grace_follow_the_runtime():
    runtime = Runtime(project="shop", stack="test", logging=LogRotation(max_size="1g", max_file=7), stop_grace_seconds=45)
    task = register(runtime=runtime).named("app").plain("taskSpec")
    assert task["logDriver"] == {"name": "json-file", "options": {"max-size": "1g", "max-file": "7"}}
    assert task["containerSpec"]["stopGracePeriod"] == "45s"


def test_named_capabilities_are_added_back_after_dropping_all():
    spec = register(add_capabilities=["NET_BIND_SERVICE", "CHOWN"]).named("app").plain("taskSpec")["containerSpec"]
    assert (spec["capDrops"], spec["capAdds"]) == (["ALL"], ["CHOWN", "NET_BIND_SERVICE"])


def test_each_secret_file_is_a_docker_secret_mounted_root_owned_0440():
    mocks = register(secrets={"db_password": "pw1", "redis_password": "pw2"})
    assert sorted(r.name for r in mocks.of_type(SECRET)) == ["app-secret-db-password", "app-secret-redis-password"]
    refs = mocks.named("app").plain("taskSpec")["containerSpec"]["secrets"]
    assert refs == [
        {"secretId": "app-secret-db-password-id", "fileName": "db_password", "fileUid": "0", "fileGid": "0", "fileMode": 0o440},
        {
            "secretId": "app-secret-redis-password-id",
            "fileName": "redis_password",
            "fileUid": "0",
            "fileGid": "0",
            "fileMode": 0o440,
        },
    ]


def test_a_docker_secret_holds_the_value_base64_encoded_as_a_pulumi_secret_and_is_auto_named():
    secret = register(secrets={"db_password": "pw1"}).named("app-secret-db-password")
    assert secret.is_secret("data")
    assert base64.b64decode(secret.plain("data")) == b"pw1"
    assert "name" not in secret.inputs  # Pulumi's auto-name: a changed value is a new secret, created first


def test_zero_replicas_are_refused_naming_the_service():
    with pytest.raises(ValueError, match="app: replicas must be at least 1; got 0"):
        register(replicas=0)


# --- PythonApi on target swarm ------------------------------------------------------------------
SWARM = Runtime(project="shop", stack="test", target="swarm")
CONTAINER = "docker:index/container:Container"


def swarm_api_args(**overrides):
    from standard_stack import DatabaseConnection, PythonApiArgs, RedisConnection

    base = dict(
        runtime=SWARM,
        registry="127.0.0.1:46500/team",
        database=DatabaseConnection(host="db", port=5432, database="app", user="app", password=pulumi.Output.secret("dbpw")),
        redis=RedisConnection(host="cache", port=6379, password=pulumi.Output.secret("rpw")),
        frontend_network="front",
        backend_network="back",
        frontend_network_id="front-id",
        backend_network_id="back-id",
    )
    return PythonApiArgs(**{**base, **overrides})


def run_api(mocks=None, **overrides):
    """Registers PythonApi("api") on swarm (``overrides`` change its args) in a throwaway program."""
    from standard_stack import PythonApi

    mocks = mocks or RecordingMocks()
    run = run_program(mocks, {}, stack="test", program=lambda: PythonApi("api", swarm_api_args(**overrides)))
    return run, mocks


def graph(run, mocks):
    """(type, name, dependencies by name, delete_before_replace) of every registration, in order."""
    out = []
    for r in mocks.registered:
        o = run.monitor.options[(r.typ, r.name)]
        out.append((r.typ.split(":")[-1], r.name, sorted(d.rsplit("::", 1)[1] for d in o.dependencies), o.delete_before_replace))
    return out


def test_api_on_swarm_registers_secrets_a_migration_on_the_manager_and_one_service():
    run, mocks = run_api()
    release = next(r.name for r in mocks.registered if r.name.startswith("api-release-"))
    loader_deps = ["api-image", "api-migrate-secrets-files", release]
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("PythonApi", "api", [], False),
            ("Image", "api-image", [], False),
            ("RemoteImage", release, ["api-image"], False),
            ("Secret", "api-secret-postgres-password", [], False),
            ("Secret", "api-secret-redis-password", [], False),
            ("Volume", "api-migrate-secrets-files", [], False),
            ("Container", "api-migrate-secrets-files-loader", loader_deps, False),
            ("Container", "api-migrate", sorted([*loader_deps, "api-migrate-secrets-files-loader"]), False),
            (
                "Service",
                "api",
                sorted(["api-image", release, "api-migrate", "api-secret-postgres-password", "api-secret-redis-password"]),
                True,
            ),
        ]
    )


def test_api_service_runs_the_pushed_image_by_digest_with_the_configured_replicas():
    _, mocks = run_api(replicas=3)
    image = mocks.named("api-image")
    assert image.plain("skipPush") is False
    service = mocks.named("api", SERVICE)
    assert service.plain("mode") == {"replicated": {"replicas": 3}}
    reference = service.plain("taskSpec")["containerSpec"]["image"]
    assert reference.startswith("127.0.0.1:46500/team/shop-api@sha256:")
    assert mocks.named("api-migrate").plain("image") == reference


def test_api_service_joins_both_networks_by_id_under_its_alias():
    networks = run_api()[1].named("api", SERVICE).plain("taskSpec")["networksAdvanceds"]
    assert networks == [{"id": "front-id", "aliases": ["api"]}, {"id": "back-id", "aliases": ["api"]}]


def test_api_passwords_reach_the_service_only_as_docker_secret_files():
    _, mocks = run_api()
    spec = mocks.named("api", SERVICE).plain("taskSpec")["containerSpec"]
    assert [s["fileName"] for s in spec["secrets"]] == ["postgres_password", "redis_password"]
    assert spec["env"]["SECRETS_DIR"] == "/run/secrets"
    assert "dbpw" not in str(spec) and "rpw" not in str(spec)
    data = {r.name: base64.b64decode(r.plain("data")).decode() for r in mocks.of_type(SECRET)}
    assert data == {"api-secret-postgres-password": "dbpw", "api-secret-redis-password": "rpw"}
    assert all(r.is_secret("data") for r in mocks.of_type(SECRET))


def test_api_service_is_the_hosts_container_description_hardened_and_read_only():
    spec = run_api()[1].named("api", SERVICE).plain("taskSpec")["containerSpec"]
    assert (spec["user"], spec["readOnly"], spec["capDrops"]) == ("10001:0", True, ["ALL"])
    assert spec["healthcheck"]["startPeriod"] == "20s" and "/health" in spec["healthcheck"]["tests"][-1]
    assert spec["mounts"] == [{"target": "/tmp", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 64 * 1024**2}}]


def test_api_service_moves_only_after_the_migration_succeeded():
    run, mocks = run_api()
    assert run.depends_on("api", "api-migrate", typ=SERVICE)
    labels = {lab["label"]: lab["value"] for lab in mocks.named("api", SERVICE).plain("labels")}
    assert labels["dev.standard-stack.migrated"] == "ok"


def test_the_swarm_migration_joins_the_backend_by_name_and_reads_the_passwords_as_files():
    migration = run_api()[1].named("api-migrate")
    assert migration.plain("networksAdvanced") == [{"name": "back"}]
    assert migration.plain("attach") is True and migration.plain("readOnly") is True
    assert migration.plain("volumes")[0]["containerPath"] == "/run/secrets"


class FailedMigration(RecordingMocks):
    def new_resource(self, args):
        rid, outputs = super().new_resource(args)
        if args.name == "api-migrate":
            outputs.update(exitCode=1, containerLogs="alembic.util.exc.CommandError: Can't locate revision 'abc'")
        return rid, outputs


def test_a_failed_migration_on_swarm_fails_the_deploy_and_registers_no_service():
    mocks = FailedMigration()
    with pytest.raises(pulumi.RunError, match="database migration failed with exit code 1"):
        run_api(mocks)
    assert mocks.of_type(SERVICE) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registry": None}, "registry is required on swarm: every node pulls the image from it"),
        ({"backend_network_id": None}, "backend_network_id is required on swarm: tasks join networks by id"),
        ({"hot_reload_source": "images/api/app"}, "hot_reload_source must be None on swarm"),
        ({"runtime": RUNTIME, "replicas": 2}, "replicas (2) needs runtime.target 'swarm'; one Docker host runs 1"),
    ],
    ids=["no registry", "no network id", "hot reload", "replicas on host"],
)
def test_api_refuses_what_its_target_cannot_run_before_registering_anything(overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_api(mocks, **overrides)
    assert str(caught.value).startswith("api: ") and message in str(caught.value)
    assert mocks.registered == []


def test_api_reports_every_swarm_problem_at_once():
    with pytest.raises(pulumi.RunError) as caught:
        run_api(registry=None, frontend_network_id=None)
    assert "registry is required" in str(caught.value) and "frontend_network_id" in str(caught.value)


def test_api_on_host_registers_no_swarm_resources():
    _, mocks = run_api(runtime=RUNTIME)
    assert mocks.of_type(SERVICE) == [] and mocks.of_type(SECRET) == []
    assert "api" in {r.name for r in mocks.of_type(CONTAINER)}


# --- StackNetworks on target swarm --------------------------------------------------------------
NETWORK = "docker:index/network:Network"


def run_networks_and_api(runtime=SWARM, **network_args):
    """StackNetworks and PythonApi composed as a program would, the API joining the networks by id."""
    from standard_stack import PythonApi, StackNetworks, StackNetworksArgs

    mocks = RecordingMocks()

    def body():
        networks = StackNetworks("networks", StackNetworksArgs(runtime=runtime, **network_args))
        ids = dict(frontend_network_id=networks.frontend_id, backend_network_id=networks.backend_id)
        PythonApi(
            "api",
            swarm_api_args(runtime=runtime, frontend_network=networks.frontend, backend_network=networks.backend, **ids),
        )

    return run_program(mocks, {}, stack="test", program=body)


def test_swarm_networks_are_attachable_overlays_with_the_backend_internal_and_encrypted():
    networks = {r.name: r.inputs for r in run_networks_and_api().mocks.of_type(NETWORK)}
    labels = {n: [lab["value"] for lab in i.pop("labels")] for n, i in networks.items()}
    assert networks == {
        "networks-frontend": {"name": "shop-test-frontend", "driver": "overlay", "attachable": True},
        "networks-backend": {
            "name": "shop-test-backend",
            "driver": "overlay",
            "attachable": True,
            "internal": True,
            "options": {"encrypted": ""},  # docker network create --opt encrypted
        },
    }
    assert labels["networks-backend"] == ["network", "shop", "backend", "test"]


def test_the_encrypted_backend_ignores_only_the_vxlan_id_swarm_adds_to_its_options():
    """The provider reads options back with the VXLAN id Swarm allocated; unignored, every preview would replace the network."""
    run = run_networks_and_api()
    assert run.options("networks-backend", NETWORK).ignore_changes == [
        'options.["com.docker.network.driver.overlay.vxlanid_list"]'
    ]
    assert run.options("networks-frontend", NETWORK).ignore_changes == []


def test_a_backend_not_encrypted_registers_no_driver_options_and_ignores_nothing():
    """Docker encrypts an overlay that has the option at all (even encrypted=false), so off means no option."""
    run = run_networks_and_api(backend_encrypted=False)
    backend = run.mocks.named("networks-backend", NETWORK)
    assert "options" not in backend.inputs and backend.plain("internal") is True
    assert run.options("networks-backend", NETWORK).ignore_changes == []


@pytest.mark.parametrize("encrypted", [True, False])
def test_a_swarm_backend_is_replaced_create_first_so_services_can_move_to_the_new_one(encrypted):
    """Explicit: the provider asks delete-first for a fixed name, and Swarm refuses to delete a network in use."""
    options = run_networks_and_api(backend_encrypted=encrypted).options("networks-backend", NETWORK)
    assert options.delete_before_replace_defined and options.delete_before_replace is False


def test_host_networks_leave_the_replacement_order_to_the_provider():
    options = run_networks_and_api(RUNTIME).options("networks-backend", NETWORK)
    assert not options.delete_before_replace_defined


def test_a_backend_not_encrypted_has_a_name_of_its_own_that_the_jobs_join():
    """A changed setting then replaces the network: Swarm refuses a second network of the same name."""
    mocks = run_networks_and_api(backend_encrypted=False).mocks
    assert mocks.named("networks-backend", NETWORK).plain("name") == "shop-test-backend-unencrypted"
    assert mocks.named("api-migrate").plain("networksAdvanced") == [{"name": "shop-test-backend-unencrypted"}]


def test_the_api_service_joins_the_stack_networks_by_id_and_its_migration_by_name():
    mocks = run_networks_and_api().mocks
    service = mocks.named("api", SERVICE).plain("taskSpec")["networksAdvanceds"]
    assert [n["id"] for n in service] == ["networks-frontend-id", "networks-backend-id"]
    assert mocks.named("api-migrate").plain("networksAdvanced") == [{"name": "shop-test-backend"}]


@pytest.mark.parametrize("encrypted", [True, False])
def test_host_networks_stay_bridges_of_the_same_names_without_driver_options(encrypted):
    networks = run_networks_and_api(RUNTIME, backend_encrypted=encrypted).mocks.of_type(NETWORK)
    drivers = {r.name: (r.plain("name"), r.plain("driver"), r.plain("attachable"), r.plain("options")) for r in networks}
    assert drivers == {
        "networks-frontend": ("shop-test-frontend", "bridge", None, None),
        "networks-backend": ("shop-test-backend", "bridge", None, None),
    }


# --- NextApp on target swarm --------------------------------------------------------------------
def run_web(mocks=None, **overrides):
    """Registers NextApp("web") on swarm (``overrides`` change its args) in a throwaway program."""
    from standard_stack import NextApp, NextAppArgs

    base = dict(
        runtime=SWARM,
        registry="127.0.0.1:46500/team",
        network="front",
        network_id="front-id",
        api_url="http://api:8000",
        public_url="https://shop.example",
    )
    mocks = mocks or RecordingMocks()
    run = run_program(mocks, {}, stack="test", program=lambda: NextApp("web", NextAppArgs(**{**base, **overrides})))
    return run, mocks


def test_web_on_swarm_registers_its_release_and_one_service_replaced_only_delete_first():
    run, mocks = run_web()
    release = next(r.name for r in mocks.registered if r.name.startswith("web-release-"))
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("NextApp", "web", [], False),
            ("Image", "web-image", [], False),
            ("RemoteImage", release, ["web-image"], False),
            ("Service", "web", sorted(["web-image", release]), True),
        ]
    )


def test_web_service_runs_the_pushed_image_in_replicas_on_the_frontend_by_id():
    service = run_web(replicas=2)[1].named("web", SERVICE)
    task = service.plain("taskSpec")
    assert service.plain("mode") == {"replicated": {"replicas": 2}}
    assert task["containerSpec"]["image"].startswith("127.0.0.1:46500/team/shop-web@sha256:")
    assert task["networksAdvanceds"] == [{"id": "front-id", "aliases": ["web"]}]
    assert service.plain("updateConfig")["order"] == "start-first"


def test_web_service_is_the_hosts_container_description():
    spec = run_web()[1].named("web", SERVICE).plain("taskSpec")["containerSpec"]
    assert spec["env"] == {
        "API_INTERNAL_URL": "http://api:8000",
        "HOSTNAME": "0.0.0.0",
        "PORT": "3000",
        "PUBLIC_URL": "https://shop.example",
    }
    assert (spec["user"], spec["readOnly"], spec["capDrops"]) == ("1001:1001", True, ["ALL"])
    assert spec["mounts"] == [
        {"target": "/app/.next/cache", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 128 * 1024**2}},
        {"target": "/tmp", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 64 * 1024**2}},
    ]
    assert spec["healthcheck"]["startPeriod"] == "20s" and "/health" in spec["healthcheck"]["tests"][-1]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registry": None}, "registry is required on swarm"),
        ({"network_id": None}, "network_id is required on swarm: tasks join networks by id"),
        ({"runtime": RUNTIME, "replicas": 3}, "replicas (3) needs runtime.target 'swarm'; one Docker host runs 1"),
    ],
    ids=["no registry", "no network id", "replicas on host"],
)
def test_web_refuses_what_its_target_cannot_run_before_registering_anything(overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_web(mocks, **overrides)
    assert str(caught.value).startswith("web: ") and message in str(caught.value)
    assert mocks.registered == []


# --- PostgresService and RedisService on target swarm -------------------------------------------
CONFIG = "docker:index/serviceConfig:ServiceConfig"


def run_data(component, mocks=None, **overrides):
    """Registers PostgresService("postgres") or RedisService("redis") on swarm in a throwaway program."""
    from standard_stack import PostgresService, PostgresServiceArgs, RedisService, RedisServiceArgs

    kind, model, name = {
        "postgres": (PostgresService, PostgresServiceArgs, "postgres"),
        "redis": (RedisService, RedisServiceArgs, "redis"),
    }[component]
    base = dict(runtime=SWARM, network="back", network_id="back-id")
    mocks = mocks or RecordingMocks()

    def body():
        kind(name, model(**{**base, "password": pulumi.Output.secret("pw-1"), **overrides}))

    run = run_program(mocks, {}, stack="test", program=body)
    return run, mocks


def test_postgres_on_swarm_registers_its_image_a_password_secret_and_one_service_nothing_else():
    run, mocks = run_data("postgres")
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("PostgresService", "postgres", [], False),
            ("RemoteImage", "postgres-image", [], False),
            ("Secret", "postgres-secret-postgres-password", [], False),
            ("ServiceConfig", "postgres-config-pg-roles.sh", [], False),
            (
                "Service",
                "postgres",
                sorted(["postgres-image", "postgres-secret-postgres-password", "postgres-config-pg-roles.sh"]),
                True,
            ),
        ]
    )


def test_redis_on_swarm_registers_its_image_two_secrets_and_one_service_nothing_else():
    run, mocks = run_data("redis")
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("RedisService", "redis", [], False),
            ("RemoteImage", "redis-image", [], False),
            ("Secret", "redis-secret-redis-password", [], False),
            ("Secret", "redis-secret-redis.conf", [], False),
            ("Service", "redis", sorted(["redis-image", "redis-secret-redis-password", "redis-secret-redis.conf"]), True),
        ]
    )


@pytest.mark.parametrize("component", ["postgres", "redis"])
def test_a_data_service_is_one_task_updated_stop_first_and_pinned_to_its_labelled_node(component):
    service = run_data(component)[1].named(component, SERVICE)
    assert service.plain("mode") == {"replicated": {"replicas": 1}}
    assert (service.plain("updateConfig")["order"], service.plain("rollbackConfig")["order"]) == ("stop-first", "stop-first")
    constraint = f"node.labels.dev.standard-stack.shop-test-{component}==true"
    assert service.plain("taskSpec")["placement"] == {"constraints": [constraint]}


@pytest.mark.parametrize(("component", "path"), [("postgres", "/var/lib/postgresql/data"), ("redis", "/data")])
def test_a_data_service_keeps_its_data_on_the_named_volume_of_the_hosts_name(component, path):
    mounts = run_data(component)[1].named(component, SERVICE).plain("taskSpec")["containerSpec"]["mounts"]
    volume = mounts[0]
    assert (volume["type"], volume["source"], volume["target"]) == ("volume", f"shop-test-{component}-data", path)
    assert {"label": "dev.standard-stack.component", "value": component} in volume["volumeOptions"]["labels"]


@pytest.mark.parametrize("component", ["postgres", "redis"])
def test_a_data_service_runs_the_pulled_image_by_digest_as_its_own_user_on_the_backend_by_id(component):
    spec = run_data(component)[1].named(component, SERVICE).plain("taskSpec")
    assert spec["containerSpec"]["image"].startswith(f"{component}@sha256:")
    assert (spec["containerSpec"]["user"], spec["containerSpec"]["readOnly"]) == ("999:0", True)
    assert spec["networksAdvanceds"] == [{"id": "back-id", "aliases": [component]}]


def test_postgres_reads_its_password_from_a_docker_secret_never_from_the_environment():
    _, mocks = run_data("postgres")
    spec = mocks.named("postgres", SERVICE).plain("taskSpec")["containerSpec"]
    assert [(s["fileName"], s["fileMode"]) for s in spec["secrets"]] == [("postgres_password", 0o440)]
    assert spec["env"] == {
        "POSTGRES_DB": "app",
        "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password",
        "POSTGRES_USER": "app",
    }
    assert "pw-1" not in str(spec)
    secret = mocks.named("postgres-secret-postgres-password")
    assert secret.is_secret("data") and base64.b64decode(secret.plain("data")) == b"pw-1"


def test_the_postgres_task_makes_the_app_role_ordinary_with_the_secret_password_and_is_healthy_only_after():
    _, mocks = run_data("postgres")
    spec = mocks.named("postgres", SERVICE).plain("taskSpec")["containerSpec"]
    command, script = spec["commands"][:2], spec["commands"][2]
    assert command == ["bash", "-c"]
    roles = base64.b64decode(mocks.named("postgres-config-pg-roles.sh", CONFIG).plain("data")).decode()
    assert "NOSUPERUSER" in roles and "RENAME TO" in roles  # files/pg-roles.sh, as on the host
    assert 'PASSWORD_FILE="$POSTGRES_PASSWORD_FILE" bash /opt/pg-roles/pg-roles.sh' in script
    # the real server (TCP), not the entrypoint's socket-only one while it initialises the data directory
    assert script.index("pg_isready -q -h 127.0.0.1") < script.index("bash /opt/pg-roles/pg-roles.sh")
    assert script.index("( apply & )") < script.index("exec docker-entrypoint.sh postgres")
    assert spec["healthcheck"]["tests"][-1].endswith("&& test -f /tmp/password-applied")
    assert (spec["init"], spec["stopSignal"]) == (True, "SIGINT")


def test_postgres_init_sql_is_docker_configs_in_the_entrypoints_directory():
    _, mocks = run_data("postgres", init_sql={"01_schema.sql": "CREATE TABLE t (id int);"})
    config = mocks.named("postgres-config-01-schema.sql", CONFIG)
    assert base64.b64decode(config.plain("data")) == b"CREATE TABLE t (id int);"
    refs = mocks.named("postgres", SERVICE).plain("taskSpec")["containerSpec"]["configs"]
    assert [r for r in refs if r["fileName"] != "/opt/pg-roles/pg-roles.sh"] == [
        {
            "configId": "postgres-config-01-schema.sql-id",
            "fileName": "/docker-entrypoint-initdb.d/01_schema.sql",
            "fileUid": "0",
            "fileGid": "0",
            "fileMode": 0o440,
        }
    ]


def test_redis_reads_its_configuration_and_password_from_docker_secrets():
    _, mocks = run_data("redis")
    spec = mocks.named("redis", SERVICE).plain("taskSpec")["containerSpec"]
    assert spec["commands"] == ["redis-server", "/run/secrets/redis.conf"]
    assert [s["fileName"] for s in spec["secrets"]] == ["redis.conf", "redis_password"]
    conf = base64.b64decode(mocks.named("redis-secret-redis.conf").plain("data")).decode()
    assert 'requirepass "pw-1"' in conf and "appendonly yes" in conf
    assert "env" not in spec and spec["init"] is False  # redis-server is PID 1, as on the host


@pytest.mark.parametrize(
    ("component", "overrides", "message"),
    [
        ("postgres", {"network_id": None}, "postgres: network_id is required on swarm: tasks join networks by id"),
        ("redis", {"host_port": 6380}, "redis: host_port (6380) must be None on swarm: only the proxy publishes ports"),
        ("postgres", {"backup": {}}, "postgres: backup must be None on swarm: the backup container is not ported yet"),
    ],
    ids=["no network id", "host port", "backup"],
)
def test_a_data_service_refuses_what_swarm_cannot_run_before_registering_anything(component, overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_data(component, mocks, **overrides)
    assert message in str(caught.value)
    assert mocks.registered == []


def test_data_services_on_host_register_no_swarm_resources():
    for component in ("postgres", "redis"):
        _, mocks = run_data(component, runtime=RUNTIME)
        assert mocks.of_type(SERVICE) == [] and mocks.of_type(SECRET) == [] and mocks.of_type(CONFIG) == []
        assert f"{component}-data" in {r.name for r in mocks.of_type("docker:index/volume:Volume")}


# --- ReverseProxy on target swarm ---------------------------------------------------------------
CERT = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"


def run_proxy(mocks=None, **overrides):
    """Registers ReverseProxy("proxy") on swarm routing to tasks.<service> names, in a throwaway program."""
    from standard_stack import ProxyRoute, ReverseProxy, ReverseProxyArgs

    base = dict(
        runtime=SWARM,
        registry="127.0.0.1:46500/team",
        network="front",
        network_id="front-id",
        bind_address="0.0.0.0",
        http_port=45080,
        routes=[
            ProxyRoute(path_prefix="/api/", upstream_host="tasks.shop-test-api", upstream_port=8000, strip_prefix=True),
            ProxyRoute(path_prefix="/", upstream_host="tasks.shop-test-web", upstream_port=3000),
        ],
    )
    mocks = mocks or RecordingMocks()

    def body():
        tls = {"tls_certificate": pulumi.Output.secret(CERT), "tls_private_key": pulumi.Output.secret(KEY)}
        ReverseProxy("proxy", ReverseProxyArgs(**{**base, **(tls if overrides.get("tls") else {}), **overrides}))

    run = run_program(mocks, {}, stack="test", program=body)
    return run, mocks


def test_proxy_on_swarm_registers_its_image_a_site_config_and_one_service_no_loader_or_reload():
    run, mocks = run_proxy()
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("ReverseProxy", "proxy", [], False),
            ("Image", "proxy-image", [], False),
            ("ServiceConfig", "proxy-config-site.conf", [], False),
            ("Service", "proxy", sorted(["proxy-image", "proxy-config-site.conf"]), True),
        ]
    )


def test_the_proxy_site_is_a_docker_config_routing_to_the_tasks_of_each_service():
    _, mocks = run_proxy()
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    assert "tasks.shop-test-api:8000" in site and "tasks.shop-test-web:3000" in site
    refs = mocks.named("proxy", SERVICE).plain("taskSpec")["containerSpec"]["configs"]
    assert [(r["fileName"], r["fileMode"]) for r in refs] == [("/etc/nginx/site/site.conf", 0o440)]


def test_the_proxy_on_swarm_re_resolves_tasks_within_swarms_2s_gossip_delay_before_a_task_stops():
    _, mocks = run_proxy()
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    assert "resolver 127.0.0.11 valid=1s ipv6=off;" in site and "valid=2s" not in site


def test_a_changed_site_is_a_new_auto_named_config_so_the_proxy_tasks_roll():
    config = run_proxy()[1].named("proxy-config-site.conf")
    assert "name" not in config.inputs  # Pulumi's auto-name: new content, new config, new service spec


def test_the_proxy_publishes_its_ports_in_host_mode_and_updates_stop_first():
    service = run_proxy(tls=True, https_port=45443)[1].named("proxy", SERVICE)
    assert service.plain("endpointSpec") == {
        "mode": "dnsrr",
        "ports": [
            {"targetPort": 8080, "publishedPort": 45080, "publishMode": "host"},
            {"targetPort": 8443, "publishedPort": 45443, "publishMode": "host"},
        ],
    }
    assert (service.plain("updateConfig")["order"], service.plain("rollbackConfig")["order"]) == ("stop-first", "stop-first")
    assert service.plain("mode") == {"replicated": {"replicas": 1}}


def test_the_proxy_runs_on_its_labelled_node_from_the_pushed_image_on_the_frontend_by_id():
    task = run_proxy()[1].named("proxy", SERVICE).plain("taskSpec")
    assert task["placement"] == {"constraints": ["node.labels.dev.standard-stack.shop-test-proxy==true"]}
    assert task["containerSpec"]["image"].startswith("127.0.0.1:46500/team/shop-proxy@sha256:")
    assert task["networksAdvanceds"] == [{"id": "front-id", "aliases": ["proxy"]}]
    assert (task["containerSpec"]["user"], task["containerSpec"]["readOnly"]) == ("101:0", True)


def test_the_proxy_certificate_and_key_are_docker_secrets_the_site_names():
    _, mocks = run_proxy(tls=True)
    secrets = {r.name: base64.b64decode(r.plain("data")).decode() for r in mocks.of_type(SECRET)}
    assert secrets == {"proxy-secret-tls-cert.pem": CERT, "proxy-secret-tls-key.pem": KEY}
    assert all(r.is_secret("data") for r in mocks.of_type(SECRET))
    refs = mocks.named("proxy", SERVICE).plain("taskSpec")["containerSpec"]["secrets"]
    assert [(r["fileName"], r["fileMode"]) for r in refs] == [("tls_cert.pem", 0o440), ("tls_key.pem", 0o440)]
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    assert "ssl_certificate /run/secrets/tls_cert.pem;" in site and "ssl_certificate_key /run/secrets/tls_key.pem;" in site
    assert "TOPSECRET" not in site


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registry": None}, "registry is required on swarm"),
        ({"network_id": None}, "network_id is required on swarm: tasks join networks by id"),
        ({"bind_address": "127.0.0.1"}, "bind_address (127.0.0.1) must be 0.0.0.0 on swarm"),
        (
            {"upstreams": {"tasks.shop-test-api": {"host": "c", "address": "172.30.0.2"}}},
            "upstreams (tasks.shop-test-api) must be empty on swarm: routes name tasks.<service>",
        ),
        (
            {"tls": True, "acme": {"domain": "shop.example", "directory_url": "https://acme.example/dir"}},
            "acme is not supported on swarm yet",
        ),
    ],
    ids=["no registry", "no network id", "loopback bind", "upstreams", "acme"],
)
def test_the_proxy_refuses_what_swarm_cannot_run_before_registering_anything(overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_proxy(mocks, **overrides)
    assert str(caught.value).startswith("proxy: ") and message in str(caught.value)
    assert mocks.registered == []


# --- StandardStack (the real program) on target swarm -------------------------------------------
def run_swarm_stack(**changes):
    """The real program with Pulumi.dev.yaml made a swarm stack (tests/unit/test_config_validation.SWARM)."""
    from tests.unit.test_config_validation import NAMESPACE, SWARM, with_

    raw = SWARM
    for path, value in changes.items():
        raw = with_(raw, path, value)
    # the whole config, not overrides: these merge key by key, and swarm needs keys of dev removed (hostPort)
    return run_program(RecordingMocks(), {f"{NAMESPACE}:{key}": value for key, value in raw.items()}, stack="dev")


def test_the_stack_on_swarm_registers_a_service_per_long_running_part_and_only_the_migration_as_containers():
    mocks = run_swarm_stack().mocks
    assert sorted(r.name for r in mocks.of_type(SERVICE)) == ["api", "postgres", "proxy", "redis", "web"]
    assert sorted(r.name for r in mocks.of_type(CONTAINER)) == ["api-migrate", "api-migrate-secrets-files-loader"]
    # the migration's password files on the manager; the data volumes are the labelled nodes' own
    assert [r.name for r in mocks.of_type("docker:index/volume:Volume")] == ["api-migrate-secrets-files"]


def test_the_stack_on_swarm_gives_the_apps_their_replicas_and_joins_every_service_by_network_id():
    mocks = run_swarm_stack(**{"api.replicas": 3, "web.replicas": 2}).mocks
    assert mocks.named("api", SERVICE).plain("mode") == {"replicated": {"replicas": 3}}
    assert mocks.named("web", SERVICE).plain("mode") == {"replicated": {"replicas": 2}}
    joined = {r.name: [n["id"] for n in r.plain("taskSpec")["networksAdvanceds"]] for r in mocks.of_type(SERVICE)}
    assert joined == {
        "postgres": ["networks-backend-id"],
        "redis": ["networks-backend-id"],
        "api": ["networks-frontend-id", "networks-backend-id"],
        "web": ["networks-frontend-id"],
        "proxy": ["networks-frontend-id"],
    }


def test_the_stacks_proxy_on_swarm_routes_to_the_tasks_of_the_api_and_web_services():
    mocks = run_swarm_stack().mocks
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    prefix = mocks.named("api", SERVICE).plain("name").removesuffix("-api")
    assert f"tasks.{prefix}-api:8000" in site and f"tasks.{prefix}-web:3000" in site
    assert mocks.named("web", SERVICE).plain("name") == f"{prefix}-web"


@pytest.mark.parametrize(("setting", "options"), [(None, {"encrypted": ""}), (True, {"encrypted": ""}), (False, None)])
def test_the_stacks_backend_overlay_is_encrypted_unless_networks_backend_encrypted_is_false(setting, options):
    changes = {} if setting is None else {"networks.backendEncrypted": setting}
    mocks = run_swarm_stack(**changes).mocks
    assert mocks.named("networks-backend", NETWORK).plain("options") == options
    assert mocks.named("networks-frontend", NETWORK).plain("options") is None


def test_the_restart_window_is_explicit_because_the_provider_reads_back_0s():
    assert register().named("app").plain("taskSpec")["restartPolicy"]["window"] == "0s"
