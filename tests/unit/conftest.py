"""Fixtures: the real program run under Pulumi's mocks with the committed stack files."""

from __future__ import annotations

import pytest

from tests.support.program import run_stack
from tests.support.stacks import PROD_SECRETS


@pytest.fixture(scope="session")
def dev():
    return run_stack("dev")


@pytest.fixture(scope="session")
def prod():
    return run_stack("prod", secrets=PROD_SECRETS)
