"""StackNetworks: bridges on a Docker host, overlays on Swarm, under mocks."""

from __future__ import annotations

import pytest

from standard_stack import PythonApi, StackNetworks, StackNetworksArgs
from tests.support.program import RecordingMocks, run_program
from tests.unit.components.harness import NETWORK, RUNTIME, SERVICE, SWARM, run, swarm_api_args


def test_stack_networks_keep_the_first_stacks_resource_names_through_aliases():
    from tests.support.program import RecordingMonitor  # noqa: F401 - documents where options are recorded

    _, mocks = run(lambda: StackNetworks("networks", StackNetworksArgs(runtime=RUNTIME)))
    assert sorted(r.name for r in mocks.of_type("docker:index/network:Network")) == ["networks-backend", "networks-frontend"]
    assert sorted(r.plain("name") for r in mocks.of_type("docker:index/network:Network")) == [
        "shop-test-backend",
        "shop-test-frontend",
    ]


# --- on target swarm


def run_networks_and_api(runtime=SWARM, **network_args):
    """StackNetworks and PythonApi composed as a program would, the API joining the networks by id."""
    from standard_stack import StackNetworks, StackNetworksArgs

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
