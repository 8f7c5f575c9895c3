"""Which engine a tier meant to test: STANDARD_STACK_E2E_ENGINE_API, checked against the engine that answers.

scripts/test runs the e2e tier on the engine lab's Docker 26.1 and its `oldest_engine` subset on the
host's 20.10; both reach their engine through environment variables (DOCKER_HOST, the socket path).
A tier pointed at the wrong engine would pass while proving nothing about the one it names, so each
tier states the Engine API versions it means and the tests fail when another engine answers.
"""

from __future__ import annotations

import os
import re

VARIABLE = "STANDARD_STACK_E2E_ENGINE_API"
FORM = "MIN or MIN-MAX or MIN- (Engine API versions, not engine releases: 1.41, 1.44-1.45, 1.44-)"
# Engine API versions (1.41), not engine releases (26.1): every API version so far is 1.x
_RANGE = re.compile(r"^(1\.\d+)(?:(-)(1\.\d+)?)?$")


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def parse(value: str) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """(lowest, highest or None for no upper bound); a single version means exactly that one."""
    found = _RANGE.match(value.strip())
    if not found:
        raise ValueError(f"{VARIABLE}={value!r} is not a version range; the form is {FORM}")
    low, dash, high = found.groups()
    lowest = _version(low)
    highest = _version(high) if high else (None if dash else lowest)
    if highest is not None and highest < lowest:
        raise ValueError(f"{VARIABLE}={value!r}: {high} is below {low}; the form is {FORM}")
    return lowest, highest


def mismatch(wanted: str, api_version: str, engine_version: str) -> str | None:
    """Why the engine that answers is not the one the tier named, or None when it is."""
    lowest, highest = parse(wanted)
    actual = _version(api_version)
    if actual < lowest or (highest is not None and actual > highest):
        return (
            f"the tier expects an engine with Engine API {wanted} ({VARIABLE}), but Docker {engine_version} "
            f"(API {api_version}) answers: DOCKER_HOST/STANDARD_STACK_DOCKER_SOCKET point at another engine"
        )
    return None


def required() -> bool:
    """CI must name the engine (scripts/test does); by hand any engine will do."""
    return bool(os.environ.get("CI"))
