"""Fixtures: the real program run under Pulumi's mocks with the committed stack files."""

from __future__ import annotations

import pytest

from tests.support.program import run_stack
from tests.support.stacks import PROD_SECRETS


@pytest.fixture(scope="session", autouse=True)
def no_engine_asked():
    """The unit tier never asks a real engine what it takes (healthStartInterval: auto): the same registered
    resources on every host, as for an engine that cannot be asked. Tests that need a version patch it.
    One-shot runs record the engine they go to: the default one, whatever DOCKER_HOST this shell has."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("standard_stack.engine.api_version", lambda host, timeout=5.0: None)
        patch.delenv("DOCKER_HOST", raising=False)
        yield


@pytest.fixture(scope="session")
def dev():
    return run_stack("dev")


@pytest.fixture(scope="session")
def prod():
    return run_stack("prod", secrets=PROD_SECRETS)
