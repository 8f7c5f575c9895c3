"""container-hardening holds every container and one-shot run to all capabilities dropped (only its kind's
allowance added back), no-new-privileges and a read-only root: mandatory in prod, advisory in dev.

The resources are what the real stacks register, changed in one field each.
"""

from __future__ import annotations

import copy
import json

import pytest
from pulumi_policy import EnforcementLevel

from tests.policies.conftest import OWN_APPS, engine_view, find, policy, violations
from tests.policies.test_rules_fire import CONTAINER, only
from tests.support.program import ONE_SHOT, REPO, RecordingMocks, run_stack
from tests.support.stacks import PROD_SECRETS

RULE = "container-hardening"
ACME_INIT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER"]


def _apps_with_admin_writable() -> dict:
    apps = copy.deepcopy(OWN_APPS)
    apps["apps"]["admin"]["readOnly"] = False
    return apps


@pytest.fixture(scope="module")
def prod_writable_app_view():
    return engine_view(run_stack("prod", overrides=_apps_with_admin_writable(), secrets=PROD_SECRETS, mocks=RecordingMocks()))


@pytest.fixture(scope="module")
def dev_writable_app_view():
    return engine_view(run_stack("dev", overrides=_apps_with_admin_writable(), mocks=RecordingMocks()))


@pytest.fixture(scope="module")
def dev_hot_reload_view():
    return engine_view(run_stack("dev", overrides={"hotReload": True}, mocks=RecordingMocks()))


def _config(stack: str) -> dict:
    return json.loads((REPO / "policies" / f"policy-config.{stack}.json").read_text())[RULE]


def _settings(stack: str) -> dict:
    return {k: v for k, v in _config(stack).items() if k != "enforcementLevel"}


def _with_host_config(run, **changes):
    host = {**run.inputs["spec"]["HostConfig"], **changes}
    return run.with_spec(HostConfig={k: v for k, v in host.items() if v is not None})


def test_a_container_without_cap_drop_all_is_refused(prod_view):
    api = find(prod_view, CONTAINER, "api").with_inputs(capabilities={"drops": ["NET_RAW"]})
    message = only(violations(RULE, [api]))
    assert "Container 'api' (api) keeps Docker's default capabilities (capabilities.drops is ['NET_RAW'])" in message
    assert "Fix: set capabilities.drops to ['ALL'] and add back in capabilities.adds only what it needs" in message


def test_a_run_without_no_new_privileges_is_refused(dev_view):
    rotation = _with_host_config(find(dev_view, ONE_SHOT, "postgres-password-rotation"), SecurityOpt=None)
    message = only(violations(RULE, [rotation]))
    assert (
        "OneShot 'postgres-password-rotation' (postgres-password-rotation, a postgres-rotation) may gain privileges "
        "through setuid binaries (spec.HostConfig.SecurityOpt is empty)" in message
    )
    assert "Fix: add 'no-new-privileges:true' to spec.HostConfig.SecurityOpt" in message


def test_an_app_with_read_only_off_is_refused_in_prod(prod_writable_app_view):
    admin = find(prod_writable_app_view, CONTAINER, "admin")
    message = only(violations(RULE, [admin], _settings("prod")))
    assert "Container 'admin' (admin, an app) has a writable root filesystem (readOnly is unset)" in message
    assert "Fix: set the App's read_only to true (read_only: true in the stack file)" in message
    assert _config("prod")["enforcementLevel"] == "mandatory"


def test_an_app_with_read_only_off_is_advisory_in_dev(dev_writable_app_view):
    admin = find(dev_writable_app_view, CONTAINER, "admin")
    assert "has a writable root filesystem" in only(violations(RULE, [admin], _settings("dev")))
    assert policy(RULE).enforcement_level == EnforcementLevel.ADVISORY and "enforcementLevel" not in _config("dev")


def test_the_acme_inits_three_capabilities_are_allowed(prod_acme_view):
    init = find(prod_acme_view, ONE_SHOT, "proxy-acme-init")
    assert sorted(init.inputs["spec"]["HostConfig"]["CapAdd"]) == ACME_INIT_CAPABILITIES
    assert violations(RULE, [init]) == []


def test_a_fourth_capability_on_the_acme_init_is_refused(prod_acme_view):
    init = find(prod_acme_view, ONE_SHOT, "proxy-acme-init")
    widened = _with_host_config(init, CapAdd=[*ACME_INIT_CAPABILITIES, "SYS_ADMIN"])
    message = only(violations(RULE, [widened]))
    assert (
        "OneShot 'proxy-acme-init' (proxy-acme-init) adds capabilities SYS_ADMIN (spec.HostConfig.CapAdd; its kind may "
        "add only CHOWN, DAC_OVERRIDE, FOWNER)" in message
    )
    assert "Fix: remove them from spec.HostConfig.CapAdd" in message


def test_another_run_may_add_no_capability(dev_view):
    reload = _with_host_config(find(dev_view, ONE_SHOT, "proxy-reload"), CapAdd=ACME_INIT_CAPABILITIES)
    assert "adds capabilities CHOWN, DAC_OVERRIDE, FOWNER (spec.HostConfig.CapAdd; its kind may add none)" in only(
        violations(RULE, [reload])
    )


def test_a_run_on_a_writable_root_is_refused(dev_view):
    loader = _with_host_config(find(dev_view, ONE_SHOT, "proxy-site-files-loader"), ReadonlyRootfs=False)
    assert "has a writable root filesystem (spec.HostConfig.ReadonlyRootfs is False)" in only(violations(RULE, [loader]))


def test_unknown_values_pass(prod_view):
    from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE

    api = find(prod_view, CONTAINER, "api").with_inputs(
        capabilities={"drops": UNKNOWN_ARRAY_VALUE}, securityOpts=UNKNOWN_ARRAY_VALUE, readOnly=UNKNOWN_BOOLEAN_VALUE
    )
    assert violations(RULE, [api]) == []


def test_the_hot_reload_web_target_may_write_its_root_in_dev_only(dev_hot_reload_view):
    """next dev writes .next beside the sources mounted from the host: writable on purpose, and only in dev."""
    web = find(dev_hot_reload_view, CONTAINER, "web")
    assert web.inputs.get("readOnly") is not True
    assert violations(RULE, dev_hot_reload_view, _settings("dev")) == []
    assert "has a writable root filesystem" in only(violations(RULE, [web], {"environment": "prod"}))
