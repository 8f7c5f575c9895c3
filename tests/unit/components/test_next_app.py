"""NextApp on a Docker host and on Swarm, under mocks."""

from __future__ import annotations

import pulumi
import pytest

from standard_stack import NextApp, NextAppArgs
from tests.support.program import RecordingMocks, run_program
from tests.unit.components.harness import RUNTIME, SERVICE, SWARM, containers, graph, run


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


# --- on target swarm


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
        ({"registry": None}, "registry is required with target: swarm"),
        ({"network_id": None}, "network_id is required with target: swarm: tasks join networks by id"),
        ({"runtime": RUNTIME, "replicas": 3}, "replicas (3) needs target: swarm (one Docker host runs 1)"),
    ],
    ids=["no registry", "no network id", "replicas on host"],
)
def test_web_refuses_what_its_target_cannot_run_before_registering_anything(overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_web(mocks, **overrides)
    assert str(caught.value).startswith("web: ") and message in str(caught.value)
    assert mocks.registered == []
