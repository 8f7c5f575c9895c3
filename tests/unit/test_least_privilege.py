"""Least privilege of the helpers around the services: every FileBundle loader in every stack."""

from __future__ import annotations

import pytest

from tests.support.program import CONTAINER, run_stack
from tests.support.stacks import PROD_SECRETS


@pytest.fixture(scope="module", params=["dev", "prod"])
def loaders(request):
    run = run_stack(request.param, secrets=PROD_SECRETS if request.param == "prod" else None)
    found = [c for c in run.mocks.of_type(CONTAINER) if c.name.endswith("-files-loader")]
    assert found, "the stack registers file loaders"
    return found


def test_every_file_loader_runs_as_nobody(loaders):
    """The daemon unpacks the uploads with their own owner and mode: the loader's process needs no root."""
    assert {c.name: c.plain("user") for c in loaders} == {c.name: "65534:65534" for c in loaders}


def test_every_file_loader_drops_every_capability_and_privilege_gain(loaders):
    for loader in loaders:
        assert loader.plain("capabilities") == {"drops": ["ALL"]}, loader.name
        assert loader.plain("securityOpts") == ["no-new-privileges:true"], loader.name
