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
