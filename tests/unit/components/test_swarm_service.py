"""Swarm services from the shared description (components/_swarm.py), under mocks: exactly what is registered."""

from __future__ import annotations

import base64

import pulumi
import pytest

from standard_stack import Resources, Runtime
from standard_stack._containers import ServiceSpec, healthcheck
from standard_stack._models import LogRotation
from standard_stack._swarm import TaskNetwork, secret_files, swarm_service
from tests.support.program import RecordingMocks, run_program
from tests.unit.components.harness import RUNTIME, SECRET, SERVICE

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
        spec = ServiceSpec(
            runtime=runtime,
            service="app",
            component="api",
            image="registry.example.com/team/shop-app@sha256:abc",
            resources=Resources(),
            health=healthcheck(["CMD", "true"]),
        )
        args = dict(networks=[TaskNetwork(id="front-id", aliases=["app"])], opts=pulumi.ResourceOptions(parent=parent))
        for key, value in overrides.items():
            (spec if key in ServiceSpec.__annotations__ else args)[key] = value
        if "secrets" in args:
            args["secrets"] = secret_files("app", runtime=runtime, service="app", files=args["secrets"], parent=parent)
        swarm_service("app", spec, **args)

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


def test_the_restart_window_is_explicit_because_the_provider_reads_back_0s():
    assert register().named("app").plain("taskSpec")["restartPolicy"]["window"] == "0s"
