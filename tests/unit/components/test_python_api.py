"""PythonApi on a Docker host and on Swarm, under mocks: its image, migration and environment."""

from __future__ import annotations

import base64
import re

import pulumi
import pytest

from standard_stack import ImageBuild, PythonApi
from tests.support.program import RecordingMocks, run_program
from tests.unit.components.harness import CONTAINER, RUNTIME, SECRET, SERVICE, api_args, containers, graph, run, swarm_api_args


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


def test_api_trusts_forwarded_headers_only_from_the_given_network():
    _, mocks = run(lambda: PythonApi("api", api_args(trusted_proxies="172.30.0.0/16")))
    assert "FORWARDED_ALLOW_IPS=172.30.0.0/16" in containers(mocks)["api"].plain("envs")


# --- on target swarm


def run_api(mocks=None, **overrides):
    """Registers PythonApi("api") on swarm (``overrides`` change its args) in a throwaway program."""
    from standard_stack import PythonApi

    mocks = mocks or RecordingMocks()
    run = run_program(mocks, {}, stack="test", program=lambda: PythonApi("api", swarm_api_args(**overrides)))
    return run, mocks


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
            ("OneShot", "api-migrate-secrets-files-loader", loader_deps, False),
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


def test_a_failed_migration_on_swarm_fails_the_deploy_and_registers_no_service():
    mocks = FailedMigration()
    with pytest.raises(pulumi.RunError, match="database migration failed with exit code 1"):
        run_api(mocks)
    assert mocks.of_type(SERVICE) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registry": None}, "registry is required with target: swarm (got none): every node pulls the images from it"),
        ({"backend_network_id": None}, "backend_network_id is required with target: swarm: tasks join networks by id"),
        ({"hot_reload_source": "images/api/app"}, "hot_reload_source must be None with target: swarm"),
        ({"runtime": RUNTIME, "replicas": 2}, "replicas (2) needs target: swarm (one Docker host runs 1)"),
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
