"""Deploys over time: a failing migration stops the deploy; an API-only change replaces only the API."""

import time

import pytest
from harness import DeployFailed
from stack import RequestLoop, StackRun, copy_project, http, service_containers

pytestmark = pytest.mark.e2e

FAILING_MIGRATION = '''"""e2e: a migration that fails

Revision ID: 0002
Revises: 0001
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    print("e2e: deliberately failing migration 0002", flush=True)
    raise RuntimeError("e2e-migration-boom")


def downgrade() -> None:
    pass
'''


@pytest.fixture
def dev_copy(engine, tmp_path):
    """The dev stack deployed from a private copy of the repository, removed afterwards."""
    program = copy_project(tmp_path / "repo")
    run = StackRun("dev", tmp_path, program_dir=program)
    yield run
    run.teardown()


def test_failing_migration_stops_the_deploy_with_its_log_in_the_error(dev_copy):
    versions = dev_copy.program_dir / "images/api/alembic/versions"
    (versions / "0002_e2e_fail.py").write_text(FAILING_MIGRATION)
    with pytest.raises(DeployFailed) as err:
        dev_copy.up()
    message = str(err.value)
    assert "migration failed" in message
    assert "deliberately failing migration 0002" in message and "e2e-migration-boom" in message
    assert "api" not in service_containers(dev_copy.label)  # the API was never started


def test_api_source_change_replaces_only_the_api_create_first_without_failed_requests(dev_copy):
    first = dev_copy.up()
    base = first.outputs["url"]
    old_api = service_containers(dev_copy.label)["api"]["Id"]
    main = dev_copy.program_dir / "images/api/app/main.py"
    main.write_text(main.read_text() + "\n# e2e: a source-only change\n")

    with RequestLoop([f"{base}/api/items", f"{base}/", f"{base}/healthz"]) as loop:
        time.sleep(1)
        second = dev_copy.up()
        time.sleep(3)
    print(f"\nrequests during the re-deploy: {loop.total}, failed: {len(loop.failures)}")
    for failure in loop.failures[:20]:
        print("  ", failure)

    changed = {name: action for name, action in second.actions.items() if action != "same"}
    assert changed == {
        "api-image": "update",
        "api-migrate": "replace",
        "api": "replace",
        "api-secrets-files-loader": "replace",
    }, changed
    api_events = [e["event"] for e in second.events if e.get("name") == "api" and e["event"] in ("container-created", "delete")]
    assert api_events == ["container-created", "delete"]  # create-first, old one removed last
    new_api = service_containers(dev_copy.label)["api"]
    assert new_api["Id"] != old_api and new_api["State"]["Health"]["Status"] == "healthy"
    assert http("GET", f"{base}/api/items")[0] == 200
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"
