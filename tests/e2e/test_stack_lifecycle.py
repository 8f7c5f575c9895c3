"""Deploys over time through the real CLI: failures stop `pulumi up` and a fixed cause converges; API-only changes."""

import re
import time
from pathlib import Path

import pytest
from deploy import DeployFailed, Deployment, claim_stack
from stack import RequestLoop, api_swap_changes, http, service_containers, web_api_retries

pytestmark = pytest.mark.e2e

FAILING_MIGRATION = '''"""e2e: a migration that fails

Revision ID: e2e_fail
Revises: {head}
"""

revision = "e2e_fail"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    print("e2e: deliberately failing migration e2e_fail", flush=True)
    raise RuntimeError("e2e-migration-boom")


def downgrade() -> None:
    pass
'''


def alembic_head(versions: Path) -> str:
    """The app's newest revision (the one no other revision revises), so the failing one comes after it."""
    found = {}
    for script in versions.glob("*.py"):
        values = dict(re.findall(r'^(revision|down_revision)[^=]*= *"([^"]+)"', script.read_text(), re.M))
        found[values["revision"]] = values.get("down_revision")
    heads = set(found) - set(found.values())
    assert len(heads) == 1, f"the API's migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


@pytest.fixture
def dev_copy(toolchain, tmp_path):
    """The dev stack deployed from a private copy of the repository, removed afterwards."""
    claim_stack("dev")
    run = Deployment("dev", tmp_path)
    yield run
    run.teardown()


def test_a_failing_migration_fails_up_with_its_log_and_a_fixed_one_converges(dev_copy):
    versions = dev_copy.program_dir / "images/api/alembic/versions"
    migration = versions / "9999_e2e_fail.py"
    migration.write_text(FAILING_MIGRATION.format(head=alembic_head(versions)))
    with pytest.raises(DeployFailed) as err:
        dev_copy.up()
    message = str(err.value)
    assert "migration failed" in message
    assert "deliberately failing migration e2e_fail" in message and "e2e-migration-boom" in message
    assert "api" not in service_containers("dev")  # the API was never started

    migration.unlink()
    outcome = dev_copy.up()
    assert service_containers("dev")["api"]["State"]["Health"]["Status"] == "healthy"
    assert http("GET", outcome.outputs["api_ready_url"])[0] == 200
    dev_copy.expect_no_changes()


def test_a_container_that_never_turns_healthy_fails_up_and_a_fixed_one_converges(dev_copy):
    """The API refuses to start without its settings; the deploy fails instead of reporting success."""
    dev_copy.up()
    broken = dev_copy.program_dir / "images/api/app/main.py"
    original = broken.read_text()
    broken.write_text('raise SystemExit("e2e: this API never starts")\n' + original)
    with pytest.raises(DeployFailed) as err:
        dev_copy.up()
    assert "api" in str(err.value)
    assert http("GET", dev_copy.outputs()["api_ready_url"])[0] == 200  # the old API kept serving (create-first)
    with pytest.raises(DeployFailed):  # nothing fixed: a plain `up` tries again and fails again, never "succeeds"
        dev_copy.up()

    broken.write_text(original)
    dev_copy.up()
    api = service_containers("dev")["api"]
    assert api["State"]["Health"]["Status"] == "healthy"
    dev_copy.expect_no_changes()


@pytest.mark.oldest_engine
def test_api_source_change_replaces_only_the_api_create_first_without_failed_requests(dev_copy):
    first = dev_copy.up()
    base = first.outputs["url"]
    old_api = service_containers("dev")["api"]["Id"]
    main = dev_copy.program_dir / "images/api/app/main.py"
    main.write_text(main.read_text() + "\n# e2e: a source-only change\n")

    with RequestLoop([f"{base}/api/items", f"{base}/", f"{base}/healthz"]) as loop:
        time.sleep(1)
        second = dev_copy.up()
        time.sleep(3)
    print(f"\nrequests during the re-deploy: {loop.total}, failed: {len(loop.failures)}")
    for failure in loop.failures[:20]:
        print("  ", failure)
    print("web app requests to the API sent again:", *web_api_retries("dev"), sep="\n   ")

    # reads (the program's StackReference to its own previous outputs) change nothing
    changed = {name: action for name, action in second.actions.items() if action not in ("same", "read")}
    release = f"api-release-{second.outputs['releases']['api'][0]}"  # the new release's image, kept on the host
    assert set(changed) == api_swap_changes(release), changed
    assert second.ops_of("api") == ["create-replacement", "replace", "delete-replaced"]  # new one first, old one last
    new_api = service_containers("dev")["api"]
    assert new_api["Id"] != old_api and new_api["State"]["Health"]["Status"] == "healthy"
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"
    dev_copy.expect_no_changes()
