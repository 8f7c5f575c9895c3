"""PostgresService and RedisService alike (components/_data_service.py): one task, pinned, on its volume."""

from __future__ import annotations

import pulumi
import pytest

from tests.support.program import RecordingMocks
from tests.unit.components.harness import CONFIG, RUNTIME, SECRET, SERVICE, run_data


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


@pytest.mark.parametrize(
    ("component", "overrides", "message"),
    [
        ("postgres", {"network_id": None}, "postgres: network_id is required with target: swarm: tasks join networks by id"),
        (
            "redis",
            {"host_port": 6380},
            "redis: host_port (6380) must be unset with target: swarm: only the proxy publishes ports",
        ),
        (
            "postgres",
            {"backup": {}},
            "postgres: backup must be None with target: swarm: the backup container is not ported to swarm yet",
        ),
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
