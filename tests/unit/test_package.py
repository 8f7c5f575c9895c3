"""The library as other programs see it: `standard_stack`, its public names, and what imports without Pulumi."""

from __future__ import annotations

import re
import subprocess
import sys

import standard_stack
from tests.support.program import REPO

LIBRARY = REPO / "components"


def test_every_public_name_resolves_and_is_listed_in_all():
    assert sorted(standard_stack.__all__) == sorted(standard_stack._EXPORTS)
    for name in standard_stack.__all__:
        assert getattr(standard_stack, name).__name__ == name


def test_an_unknown_name_is_an_attribute_error_naming_it():
    try:
        standard_stack.PostgresServices  # noqa: B018
    except AttributeError as error:
        assert "PostgresServices" in str(error)
    else:
        raise AssertionError("no AttributeError")


def test_the_nginx_renderer_and_unit_parsing_import_without_pulumi():
    blocked = "import sys; sys.modules.update(dict.fromkeys(['pulumi', 'pulumi_docker', 'pulumi_random']))"
    code = f"{blocked}; import standard_stack.nginx, standard_stack.units; print(standard_stack.units.to_mib('1Gi'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1024"


def test_the_library_knows_no_stack_settings_namespace():
    """`standard-stack:` config keys belong to this repo's program (stack_settings.py), not to the library."""
    for path in LIBRARY.glob("*.py"):
        keys = re.findall(r"standard-stack:(?!index:)\S+", path.read_text())
        assert keys == [], f"{path.name}: {keys}"


def test_pinned_versions_are_declared_once_in_versions_py():
    defaults = ['"17"', '"7.4"', '"3.12"', '"22"', '"1.28"', "postgres:17", "redis:7.4"]
    for path in [*LIBRARY.glob("*.py"), REPO / "stack_settings.py", REPO / "__main__.py"]:
        if path.name == "versions.py":
            continue
        text = path.read_text()
        assert [d for d in defaults if d in text] == [], path.name
