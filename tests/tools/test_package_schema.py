"""The committed schema of the component package is what the real CLI derives from the code today.

``pulumi package get-schema ./components/package`` (scripts/package-schema) runs the provider through
the Python language host and Pulumi's component analyzer; a change to an input, an output or a
description that was not regenerated into components/package/schema.json fails here.
Needs .tools/bin (scripts/build-tools) and .venv (scripts/bootstrap).
"""

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "components" / "package" / "schema.json"


@pytest.fixture(scope="module")
def generated() -> dict:
    proc = subprocess.run([str(REPO / "scripts" / "package-schema")], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"scripts/package-schema exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def test_the_committed_schema_is_what_get_schema_derives_from_the_code(generated: dict) -> None:
    committed = json.loads(SCHEMA.read_text())
    assert generated == committed, "components/package/schema.json is stale: run scripts/package-schema > it"


def test_the_schema_names_the_package_and_its_nine_components(generated: dict) -> None:
    assert generated["name"] == "standard-stack"
    assert sorted(generated["resources"]) == [
        f"standard-stack:index:{name}"
        for name in (
            "App",
            "NextApp",
            "PostgresService",
            "PythonApi",
            "RedisService",
            "ReverseProxy",
            "StackNetworks",
            "StandardStack",
            "Worker",
        )
    ]
    assert all(r["isComponent"] for r in generated["resources"].values())
