"""Least privilege of the helpers around the services: every one-shot run (file loaders, password rotations, the
nginx reload, the ACME init) in every stack."""

from __future__ import annotations

import pytest

from tests.support.one_shot import OneShotRun, one_shots
from tests.support.program import run_stack
from tests.support.stacks import PROD_SECRETS

ACME = {
    "standard-stack:proxy": {"acme": {"enabled": True, "email": "ops@example.com", "directoryUrl": "https://ca.internal/dir"}}
}
ACME_INIT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER"]
"""The ACME init alone runs as root: it hands the certificate volume over to the ACME client's user (acme.py)."""


@pytest.fixture(scope="module", params=["dev", "prod", "prod-acme"])
def runs(request) -> dict[str, OneShotRun]:
    stack, _, variant = request.param.partition("-")
    secrets = {k: v for k, v in PROD_SECRETS.items() if k.endswith("Password")} if variant else PROD_SECRETS
    run = run_stack(stack, secrets=secrets if stack == "prod" else None, overrides=ACME if variant else None)
    found = one_shots(run.mocks)
    assert any(name.endswith("-files-loader") for name in found), "the stack registers file loaders"
    assert ("proxy-acme-init" in found) == (variant == "acme")
    return found


def test_every_file_loader_runs_as_nobody(runs):
    """The daemon unpacks the files with their own owner and mode: the loader's process needs no root."""
    loaders = {name: run.user for name, run in runs.items() if name.endswith("-files-loader")}
    assert loaders == dict.fromkeys(loaders, "65534:65534")


def test_every_run_but_the_acme_init_runs_as_a_user_other_than_root(runs):
    as_root = {
        name: (run.user, run.host_config["CapAdd"]) for name, run in runs.items() if run.user.split(":")[0] in ("", "0", "root")
    }
    expected = {"proxy-acme-init": ("0:0", ACME_INIT_CAPABILITIES)} if "proxy-acme-init" in runs else {}
    assert as_root == expected


def test_every_run_drops_every_capability_and_privilege_gain_on_a_read_only_root(runs):
    for name, run in runs.items():
        host = run.host_config
        assert host["CapDrop"] == ["ALL"], name
        assert host["CapAdd"] == (ACME_INIT_CAPABILITIES if name == "proxy-acme-init" else []), name
        assert host["SecurityOpt"] == ["no-new-privileges:true"], name
        assert host["ReadonlyRootfs"] is True, name
        assert "Privileged" not in host and "Devices" not in host, name


def test_every_run_but_the_redis_rotation_has_no_network_and_none_shares_the_host_namespaces(runs):
    """The Redis rotation talks to the server over the backend network; the reload shares the proxy's PIDs only."""
    (stack,) = {run.labels["dev.standard-stack.stack"] for run in runs.values()}
    backend = f"standard-stack-{stack}-backend"
    for name, run in runs.items():
        assert run.network_mode == (backend if name == "redis-password-rotation" else "none"), name
        assert run.pid_mode in (None, "container:proxy-id") and (run.pid_mode is None) == (name != "proxy-reload"), name
        assert "host" not in (run.host_config.get("IpcMode"), run.host_config.get("UsernsMode")), name
