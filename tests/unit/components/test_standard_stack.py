"""StandardStack: the whole stack composed from settings, on a Docker host and on Swarm, under mocks."""

from __future__ import annotations

import base64

import pytest

from tests.support.program import ONE_SHOT, RecordingMocks
from tests.unit.components.harness import CONTAINER, NETWORK, SERVICE, run, run_swarm_stack


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


# --- the real program on target swarm


def test_the_stack_on_swarm_registers_a_service_per_long_running_part_and_only_the_migration_as_containers():
    mocks = run_swarm_stack().mocks
    assert sorted(r.name for r in mocks.of_type(SERVICE)) == ["api", "postgres", "proxy", "redis", "web"]
    assert [r.name for r in mocks.of_type(CONTAINER)] == ["api-migrate"]
    assert [r.name for r in mocks.of_type(ONE_SHOT)] == ["api-migrate-secrets-files-loader"]  # a run: no container stays
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
