"""The committed dev and prod stacks satisfy every policy of the pack (as registered under mocks)."""

from __future__ import annotations

import pytest

from standard_stack_policy import POLICIES
from tests.policies.conftest import violations

RULES = [p.name for p in POLICIES]


@pytest.mark.parametrize("rule", RULES)
def test_dev_stack_has_no_violations(rule, dev_view):
    assert violations(rule, dev_view) == []


@pytest.mark.parametrize("rule", RULES)
def test_prod_stack_has_no_violations(rule, prod_view):
    assert violations(rule, prod_view) == []


def test_prod_stack_also_passes_the_documented_prod_policy_config(prod_view):
    import json

    from tests.support.program import REPO

    config = json.loads((REPO / "policies" / "policy-config.prod.json").read_text())
    for rule in RULES:
        settings = {k: v for k, v in config.get(rule, {}).items() if k != "enforcementLevel"}
        assert violations(rule, prod_view, settings) == [], rule


def test_docs_show_the_committed_prod_policy_config():
    """docs/policies.md's JSON block is policies/policy-config.prod.json, rule for rule."""
    import json
    import re

    from tests.support.program import REPO

    docs = (REPO / "docs" / "policies.md").read_text()
    block = re.search(r"```json\n(.*?)```", docs, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == json.loads((REPO / "policies" / "policy-config.prod.json").read_text())


@pytest.fixture(scope="module")
def example_view():
    """examples/two-apis names its proxy ``edge`` and its database ``db``: rules must judge kinds, not names."""
    from tests.policies.conftest import engine_view
    from tests.support.program import REPO, RecordingMocks, run_program

    return engine_view(run_program(RecordingMocks(), {}, stack="dev", program=REPO / "examples" / "two-apis" / "__main__.py"))


@pytest.mark.parametrize("rule", RULES)
def test_the_example_with_its_own_instance_names_has_no_violations(rule, example_view):
    assert violations(rule, example_view) == []


def test_a_renamed_database_publishing_a_public_port_is_still_caught(example_view):
    from tests.policies.conftest import find

    db = find(example_view, "docker:index/container:Container", "db")
    exposed = db.with_inputs(ports=[{"internal": 5432, "external": 5432, "ip": "0.0.0.0"}])
    messages = violations("container-published-ports", [exposed], {"environment": "prod"})
    assert len(messages) == 1 and "(db, a postgres)" in messages[0]


@pytest.mark.parametrize("rule", RULES)
def test_prod_with_acme_has_no_violations(rule, prod_acme_view):
    assert violations(rule, prod_acme_view) == []


@pytest.mark.parametrize("rule", RULES)
def test_the_swarm_stack_has_no_violations(rule, swarm_view):
    assert violations(rule, swarm_view) == []


@pytest.mark.parametrize("rule", RULES)
def test_the_swarm_stack_named_prod_has_no_violations(rule, swarm_prod_view):
    assert violations(rule, swarm_prod_view) == []


def test_the_swarm_stack_is_judged_by_the_service_rules(swarm_view):
    """Not vacuous: the swarm stack registers services, and each service rule reads them."""
    services = [r for r in swarm_view if r.typ == "docker:index/service:Service"]
    assert sorted(r.name for r in services) == ["api", "postgres", "proxy", "redis", "web"]


@pytest.mark.parametrize("stack", ["dev", "prod", "prod_acme"])
def test_every_one_shot_run_of_the_stacks_is_judged_by_the_container_rules(stack, request):
    """Not vacuous: the stacks' runs (loaders, rotations, reload, ACME init) pass above because they comply, not
    because the pack skips them: each, given an image tagged latest, is refused."""
    from tests.support.program import ONE_SHOT

    runs = [r for r in request.getfixturevalue(f"{stack}_view") if r.typ == ONE_SHOT]
    assert len(runs) >= 8, [r.name for r in runs]
    for run in runs:
        assert violations("images-pinned", [run.with_spec(Image="busybox:latest")]), run.name


@pytest.mark.parametrize("stack", ["dev", "prod", "prod_acme"])
def test_every_container_and_run_of_the_stacks_is_judged_by_the_hardening_rule(stack, request):
    """Not vacuous: the stacks' containers and runs pass container-hardening because each drops ALL, sets
    no-new-privileges and a read-only root: each, given Docker's default capabilities, is refused."""
    from tests.support.program import ONE_SHOT

    view = request.getfixturevalue(f"{stack}_view")
    containers = [r for r in view if r.typ == "docker:index/container:Container"]
    runs = [r for r in view if r.typ == ONE_SHOT]
    assert len(containers) >= 6 and len(runs) >= 8, [r.name for r in view]
    for container in containers:
        assert violations("container-hardening", [container.with_inputs(capabilities={"drops": []})]), container.name
    for run in runs:
        host = {**run.inputs["spec"]["HostConfig"], "CapDrop": []}
        assert violations("container-hardening", [run.with_spec(HostConfig=host)]), run.name
