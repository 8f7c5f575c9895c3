"""The engine's view of the dev and prod stacks, built from the real program run under Pulumi's mocks.

Each registration becomes what pulumi-policy hands a policy: properties deserialized by the SDK's own
``deserialize_properties`` (secrets kept as ``pulumi_policy.Secret``) behind its unknown-checking
proxy, ``PolicyResourceOptions`` with the registration's ``protect``, and the resource's URN.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.program import REPO, RecordingMocks, run_program, run_stack
from tests.support.stacks import PROD_SECRETS, stack_config

sys.path.insert(0, str(REPO / "policies"))

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from standard_stack_policy import POLICIES


@dataclass
class EngineResource:
    """One resource as the engine describes it to a policy pack (inputs in wire form, camelCase)."""

    typ: str
    name: str
    urn: str
    inputs: dict[str, Any]
    protect: bool = False
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    def with_inputs(self, **changes: Any) -> EngineResource:
        """A copy with inputs changed; ``None`` removes an input."""
        inputs = copy.deepcopy(self.inputs)
        for key, value in changes.items():
            if value is None:
                inputs.pop(key, None)
            else:
                inputs[key] = value
        return EngineResource(self.typ, self.name, self.urn, inputs, self.protect, dict(self.property_dependencies))

    def with_spec(self, **changes: Any) -> EngineResource:
        """A one-shot run's copy with its ``spec`` (Engine API names: ``User``, ``Env``) changed; ``None`` removes a key."""
        spec = copy.deepcopy(self.inputs["spec"])
        for key, value in changes.items():
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value
        return self.with_inputs(spec=spec)

    def props(self) -> Any:
        return unknown_checking_proxy(deserialize_properties(copy.deepcopy(self.inputs), True))

    def options(self) -> PolicyResourceOptions:
        return PolicyResourceOptions(self.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def engine_view(run: Any) -> list[EngineResource]:
    """Every custom resource the program registered, with its URN and protect flag."""
    out = []
    for registered in run.mocks.registered:
        urn = run.monitor.urn_of(registered.name, registered.typ)
        options = run.options(registered.name, registered.typ)
        out.append(EngineResource(registered.typ, registered.name, urn, dict(registered.inputs), options.protect))
    return out


@pytest.fixture(scope="session")
def dev_view() -> list[EngineResource]:
    return engine_view(run_stack("dev", mocks=RecordingMocks()))


@pytest.fixture(scope="session")
def prod_view() -> list[EngineResource]:
    return engine_view(run_stack("prod", secrets=PROD_SECRETS, mocks=RecordingMocks()))


@pytest.fixture(scope="session")
def swarm_view() -> list[EngineResource]:
    """The real program with the dev stack file made a swarm stack: services instead of containers."""
    from tests.unit.components.harness import run_swarm_stack

    return engine_view(run_swarm_stack())


@pytest.fixture(scope="session")
def swarm_prod_view() -> list[EngineResource]:
    """The swarm stack as a stack named prod (restarting, as Pulumi.prod.yaml): the prod-only rules apply."""
    from tests.unit.test_config_validation import NAMESPACE, SWARM, with_

    config = {f"{NAMESPACE}:{key}": value for key, value in with_(SWARM, "restart", "unless-stopped").items()}
    return engine_view(run_program(RecordingMocks(), config, stack="prod"))


@pytest.fixture(scope="session")
def prod_acme_view() -> list[EngineResource]:
    """prod with proxy.acme: the certbot client, its init run and its volume beside the proxy."""
    proxy = {**stack_config(REPO / "Pulumi.prod.yaml")["standard-stack:proxy"], "acme": {"enabled": True}}
    secrets = {k: v for k, v in PROD_SECRETS.items() if not k.startswith("standard-stack:tls")}
    run = run_stack("prod", overrides={"standard-stack:proxy": proxy}, secrets=secrets, mocks=RecordingMocks())
    assert "proxy-acme" in {r.name for r in run.mocks.registered}
    return engine_view(run)


OWN_APPS = {
    "apps": {
        "admin": {
            "image": "nginx:1.27-alpine",
            "port": 8080,
            "user": "1001:1001",
            "resources": {"memory": "256Mi", "cpus": 0.5},
            "job": {"command": ["true"], "name": "migrate"},
        }
    },
    "workers": {
        "tasks": {
            "image": "busybox:1.36",
            "networks": ["backend"],
            "command": ["sleep", "infinity"],
            "user": "1001:1001",
            "resources": {"memory": "256Mi", "cpus": 0.5},
        }
    },
}
"""Your own App (``admin``, with a one-shot job ``admin-migrate``) and Worker (``tasks``), from the stack file."""


@pytest.fixture(scope="session")
def dev_apps_view() -> list[EngineResource]:
    return engine_view(run_stack("dev", overrides=OWN_APPS, mocks=RecordingMocks()))


@pytest.fixture(scope="session")
def prod_apps_view() -> list[EngineResource]:
    return engine_view(run_stack("prod", overrides=OWN_APPS, secrets=PROD_SECRETS, mocks=RecordingMocks()))


@pytest.fixture(scope="session")
def swarm_prod_apps_view() -> list[EngineResource]:
    """The swarm stack named prod with your own App and Worker: services."""
    from tests.unit.test_config_validation import NAMESPACE, SWARM, with_

    raw = with_(SWARM, "restart", "unless-stopped")
    for key, value in OWN_APPS.items():
        raw = with_(raw, key, value)
    return engine_view(run_program(RecordingMocks(), {f"{NAMESPACE}:{key}": value for key, value in raw.items()}, stack="prod"))


@pytest.fixture(autouse=True)
def _no_stack_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules read the stack from labels here, never from a PULUMI_STACK left in the shell."""
    monkeypatch.delenv("PULUMI_STACK", raising=False)


def policy(name: str) -> Policy:
    return next(p for p in POLICIES if p.name == name)


def find(view: list[EngineResource], typ: str, name: str) -> EngineResource:
    return next(r for r in view if r.typ == typ and r.name == name)


def violations(policy_name: str, resources: list[EngineResource], config: Mapping[str, Any] | None = None) -> list[str]:
    """Run one policy the way the analyzer does (per resource, or once over the stack); collect messages."""
    rule = policy(policy_name)
    messages: list[str] = []
    report: Callable[..., None] = lambda message, urn=None: messages.append(message)  # noqa: E731
    if isinstance(rule, ResourceValidationPolicy):
        for r in resources:
            args = ResourceValidationArgs(r.typ, r.props(), r.urn, r.name, r.options(), None, dict(config or {}))
            rule.validate(args, report)
    else:
        by_urn = {r.urn: PolicyResource(r.typ, r.props(), r.urn, r.name, r.options(), None, None, [], {}) for r in resources}
        for r in resources:
            by_urn[r.urn].property_dependencies = {
                key: [by_urn[urn] for urn in urns if urn in by_urn] for key, urns in r.property_dependencies.items()
            }
        rule.validate(StackValidationArgs(list(by_urn.values()), dict(config or {})), report)  # type: ignore[attr-defined]
    return messages
