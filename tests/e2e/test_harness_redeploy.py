"""Self-tests: a second run diffs against the state like the Pulumi engine does."""

import pytest
from harness import DeployFailed
from harness.engine_api import exists, inspect

pytestmark = pytest.mark.e2e

APP = """
    import pulumi, pulumi_docker as docker
    cfg = pulumi.Config()
    dbr = cfg.get_bool("dbr")
    opts = pulumi.ResourceOptions(delete_before_replace=dbr) if dbr is not None else None
    c = docker.Container("app", image="debian:bookworm-slim", command=["sleep", "infinity"],
        envs=[f"VERSION={cfg.get('version') or '1'}"], memory=cfg.get_int("memory") or 64,
        opts=opts)
    pulumi.export("id", c.id)
    pulumi.export("name", c.name)
"""


def test_rerun_with_unchanged_inputs_touches_nothing(deployment):
    first = deployment.write(APP).up()
    created = inspect("containers", first.outputs["id"])["State"]["StartedAt"]
    second = deployment.up()
    assert second.actions == {"app": "same"}
    assert second.outputs == first.outputs
    assert inspect("containers", first.outputs["id"])["State"]["StartedAt"] == created


def test_memory_change_updates_the_container_in_place(deployment):
    first = deployment.write(APP).up({"memory": 64})
    second = deployment.up({"memory": 96})
    assert second.actions == {"app": "update"}
    assert second.outputs["id"] == first.outputs["id"]
    assert inspect("containers", first.outputs["id"])["HostConfig"]["Memory"] == 96 << 20


def _order(result, name):
    """Events of `name` in order: create of the new container vs delete of the old one."""
    return [e["event"] for e in result.events if e.get("name") == name and e["event"] in ("container-created", "delete")]


def test_changed_env_replaces_delete_first_by_default(deployment):
    first = deployment.write(APP).up({"version": "1"})
    second = deployment.up({"version": "2"})
    assert second.actions == {"app": "replace"}
    assert _order(second, "app") == ["delete", "container-created"]
    assert not exists(f"/containers/{first.outputs['id']}/json")
    assert second.outputs["name"] != first.outputs["name"]


def test_changed_env_replaces_create_first_when_delete_before_replace_is_false(deployment):
    first = deployment.write(APP).up({"version": "1", "dbr": False})
    second = deployment.up({"version": "2", "dbr": False})
    assert _order(second, "app") == ["container-created", "delete"]
    old_finished = second.events.index(next(e for e in second.events if e["event"] == "delete"))
    assert old_finished == len(second.events) - 1  # the old one goes at the end of the run
    assert not exists(f"/containers/{first.outputs['id']}/json")
    assert inspect("containers", second.outputs["id"])["State"]["Running"]


def test_resources_no_longer_registered_are_deleted_dependents_first(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        net = docker.Network("net")
        c = docker.Container("user", image="debian:bookworm-slim", command=["sleep", "infinity"],
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=net.name)])
        pulumi.export("net", net.name)
    """).up()
    result = deployment.write("import pulumi\npulumi.export('nothing', 1)\n").up()
    deletes = [e["name"] for e in result.events if e["event"] == "delete"]
    assert deletes == ["user", "net"]


def test_protected_volume_survives_removal_from_the_program_and_fails_the_deploy(deployment):
    first = deployment.write("""
        import pulumi, pulumi_docker as docker
        v = docker.Volume("data", opts=pulumi.ResourceOptions(protect=True))
        pulumi.export("volume", v.name)
    """).up()
    deployment.write("import pulumi\n")
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "protected" in str(err.value)
    assert exists(f"/volumes/{first.outputs['volume']}")


def test_secrets_stay_stable_across_runs_and_never_reach_the_state_file_in_plain(deployment):
    program = """
        import pulumi, pulumi_random as random
        pw = random.RandomPassword("db", length=24, special=False)
        pulumi.export("password", pw.result)
    """
    first = deployment.write(program).up()
    second = deployment.up()
    password = first.outputs["password"]
    assert len(password) == 24 and "password" in first.secret_outputs
    assert second.outputs["password"] == password and second.actions == {"db": "same"}
    with open(deployment.state_path) as fh:
        assert password not in fh.read()
