"""The e2e tiers' engine guard (tests/e2e/engine_guard.py): a tier that names its engine fails on another one."""

from __future__ import annotations

import pytest

from tests.e2e import engine_guard


def test_a_single_version_means_exactly_that_engine_api():
    assert engine_guard.mismatch("1.41", "1.41", "20.10.24") is None
    assert "Docker 26.1.5 (API 1.45)" in engine_guard.mismatch("1.41", "1.45", "26.1.5")


def test_an_open_range_accepts_that_api_and_every_newer_one_and_refuses_older():
    assert engine_guard.mismatch("1.44-", "1.45", "26.1.5") is None
    assert engine_guard.mismatch("1.44-", "1.48", "28.0.1") is None
    assert "API 1.41" in engine_guard.mismatch("1.44-", "1.41", "20.10.24")


def test_a_closed_range_refuses_engines_beyond_it():
    assert engine_guard.mismatch("1.41-1.45", "1.43", "24.0.7") is None
    assert engine_guard.mismatch("1.41-1.45", "1.46", "27.0.3") is not None


def test_minor_versions_compare_as_numbers_not_text():
    assert engine_guard.mismatch("1.9-", "1.41", "20.10.24") is None


@pytest.mark.parametrize("value", ["26.1", "1.44+", ">=1.44", "1.45-1.44", "", "latest"])
def test_a_malformed_range_is_refused_naming_the_variable_the_value_and_the_form(value):
    with pytest.raises(ValueError) as refused:
        engine_guard.parse(value)
    message = str(refused.value)
    assert engine_guard.VARIABLE in message and repr(value) in message and "MIN-MAX" in message
