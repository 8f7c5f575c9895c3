"""Before a test deploys a stack name it claims it: leftovers of a dead test run go, anything else stops the run.

A stack's Docker objects are found by the labels every component sets; a volume with those labels
stands in for a whole stack here (the check treats containers and volumes alike).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import engine_api
import pytest
from deploy import PROJECT, _claim_file, _process, claim_stack, labelled, remove_stack_objects

pytestmark = pytest.mark.e2e
STACK = "claim-check"


@pytest.fixture
def leftover(engine) -> Iterator[str]:
    """A volume labelled as stack ``claim-check`` of this project, as a deploy would have left it."""
    volume = engine_api.post_json(
        "/volumes/create",
        {"Labels": {"dev.standard-stack.project": PROJECT, "dev.standard-stack.stack": STACK}},
    )["Name"]
    yield volume
    remove_stack_objects(STACK)
    _claim_file(STACK).unlink(missing_ok=True)


def claim_as(owner: dict) -> None:
    path = _claim_file(STACK)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(owner))


def test_objects_nobody_claimed_stop_the_run_and_stay(leftover: str) -> None:
    _claim_file(STACK).unlink(missing_ok=True)
    with pytest.raises(RuntimeError, match="no test run claimed it"):
        claim_stack(STACK)
    assert [v["Name"] for v in labelled(STACK, "volumes")] == [leftover]


def test_objects_of_a_test_run_that_died_are_removed_and_the_name_claimed(leftover: str) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    dead = _process(finished.pid)
    finished.communicate()  # it exits once its stdin closes
    assert dead is not None and _process(finished.pid) != dead
    claim_as(dead)
    claim_stack(STACK)
    assert labelled(STACK, "volumes") == []
    assert json.loads(_claim_file(STACK).read_text()) == _process(os.getpid())


def test_objects_of_a_test_run_still_alive_stop_the_run_and_stay(leftover: str) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = _process(other.pid)
        assert owner is not None
        claim_as(owner)
        with pytest.raises(RuntimeError, match=f"test run pid {other.pid} is still using it"):
            claim_stack(STACK)
        assert [v["Name"] for v in labelled(STACK, "volumes")] == [leftover]
    finally:
        other.kill()
        other.wait()
