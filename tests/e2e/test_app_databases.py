"""Two apps share one PostgreSQL server, each with a database and an ordinary role of its own (``app_databases``).

A small program of its own (below: networks and one PostgresService, no app) deployed through the real
CLI onto the engine as a stack with a unique name and no published port. Each app's ``url`` output is
what the app would take as ``DATABASE_URL``; psql connects with it exactly, from inside the server's
container over the backend network's alias (TCP and password authentication, as an app would). Unit
tests of the same: tests/unit/components/test_postgres_databases.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import engine_api
import pytest
from deploy import REPO, TOOLS, private_state_dir, tool_env

pytestmark = pytest.mark.e2e

PROJECT = "app-databases"
IMAGE = "postgres:15"  # the version the local base images have (tests/e2e/overrides.yaml)
FIRST, SECOND = "first-Pa55:w/@rd?#%", "second-Pa55:w/@rd?#%"  # what a URL must encode

PROGRAM = f'''
import pulumi
from standard_stack import AppDatabase, PostgresService, PostgresServiceArgs, Runtime, StackNetworks, StackNetworksArgs

config = pulumi.Config()
runtime = Runtime(project=pulumi.get_project(), stack=pulumi.get_stack())
networks = StackNetworks("networks", StackNetworksArgs(runtime=runtime))
db = PostgresService(
    "db",
    PostgresServiceArgs(
        runtime=runtime,
        network=networks.backend,
        image="{IMAGE}",
        app_databases={{
            "shop": AppDatabase(database="shop", user="shop", password=config.require_secret("shopPassword")),
            "blog": AppDatabase(database="blog_db", user="blog"),
        }},
    ),
)
pulumi.export("connections", {{app: c.outputs() for app, c in db.connections.items()}})
pulumi.export("server", db.container.name)
'''


class Program:
    """The program above in a private directory, the library a copy of components/, its own state and stack."""

    def __init__(self, tmp: Path) -> None:
        self.directory = tmp / "program"
        self.directory.mkdir()
        (self.directory / "Pulumi.yaml").write_text(
            f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    virtualenv: {REPO / '.venv'}\n"
        )
        (self.directory / "__main__.py").write_text(textwrap.dedent(PROGRAM))
        library = tmp / "library"
        shutil.copytree(REPO / "components", library / "standard_stack", ignore=shutil.ignore_patterns("__pycache__"))
        self.stack = f"dbs-{uuid.uuid4().hex[:6]}"
        self.env = {**os.environ, **tool_env(private_state_dir(tmp / "state")), "PYTHONPATH": str(library)}

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.directory, env=self.env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if check and proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}")
        return proc

    def up(self, shop_password: str) -> subprocess.CompletedProcess[str]:
        self.pulumi("config", "set", "--secret", "shopPassword", shop_password)
        start = time.monotonic()
        proc = self.pulumi("up", "--yes")
        print(f"\napp-databases: pulumi up took {time.monotonic() - start:.0f} s")
        return proc

    def outputs(self) -> dict:
        return json.loads(self.pulumi("stack", "output", "--json", "--show-secrets").stdout)

    def _labels(self) -> dict[str, list[str]]:
        return {"label": [f"dev.standard-stack.project={PROJECT}", f"dev.standard-stack.stack={self.stack}"]}

    def server(self) -> dict:
        (server,) = [
            c
            for c in engine_api.get_json("/containers/json", {"filters": self._labels()})
            if c["Labels"].get("dev.standard-stack.component") == "postgres"
        ]
        return server

    def teardown(self) -> None:
        try:
            self.pulumi("destroy", "--yes", "--skip-preview", check=False)
            self.pulumi("stack", "rm", "--yes", "--force", check=False)
        finally:
            for container in engine_api.get_json("/containers/json", {"all": 1, "filters": self._labels()}):
                engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
            for volume in engine_api.get_json("/volumes", {"filters": self._labels()}).get("Volumes") or []:
                engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
            for network in engine_api.get_json("/networks", {"filters": self._labels()}):
                engine_api.delete(f"/networks/{network['Id']}")


def psql(server: dict, url: str, sql: str) -> subprocess.CompletedProcess[str]:
    """``psql "$DATABASE_URL" -c sql`` in the server's container: over TCP to the backend alias, password
    authentication, the URL given whole as an app gets it (in the environment of this one exec only)."""
    return engine_api.cli(
        "exec", "-e", f"DATABASE_URL={url}", server["Id"],
        "sh", "-c", 'psql "$DATABASE_URL" -X -At -v ON_ERROR_STOP=1 -c "$0"', sql,
    )  # fmt: skip


def with_database(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="module")
def deployed(toolchain, tmp_path_factory):
    program = Program(tmp_path_factory.mktemp("app-databases"))
    try:
        program.pulumi("stack", "init")
        program.up(FIRST)
        yield program
    finally:
        program.teardown()


def test_each_app_connects_with_its_url_to_its_own_database_as_its_own_role(deployed):
    connections = deployed.outputs()["connections"]
    server = deployed.server()
    for app, (role, database) in {"shop": ("shop", "shop"), "blog": ("blog", "blog_db")}.items():
        url = connections[app]["url"]
        assert url.startswith(f"postgresql://{role}:") and url.endswith(f"@postgres:5432/{database}")
        answer = psql(server, url, "select current_user || ' ' || current_database()")
        assert (answer.returncode, answer.stdout.strip()) == (0, f"{role} {database}"), answer.stderr
    assert connections["shop"]["url"] == "postgresql://shop:first-Pa55%3Aw%2F%40rd%3F%23%25@postgres:5432/shop"


def test_app_roles_are_ordinary_and_own_their_databases(deployed):
    url = deployed.outputs()["connections"]["shop"]["url"]
    answer = psql(
        deployed.server(),
        url,
        "select rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
        "(select string_agg(datname, ',') from pg_database where datdba = r.oid) "
        "from pg_roles r where rolname in ('shop', 'blog') order by rolname",
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == ["blog|f|f|f|f|f|blog_db", "shop|f|f|f|f|f|shop"]


@pytest.mark.parametrize(("app", "other"), [("shop", "blog_db"), ("blog", "shop"), ("shop", "app"), ("blog", "postgres")])
def test_an_apps_role_cannot_connect_to_another_database(deployed, app, other):
    url = with_database(deployed.outputs()["connections"][app]["url"], other)
    answer = psql(deployed.server(), url, "select 1")
    assert answer.returncode != 0
    assert f'permission denied for database "{other}"' in answer.stderr, answer.stderr


def test_a_second_preview_proposes_no_change(deployed):
    deployed.pulumi("preview", "--expect-no-changes", "--diff")


def test_a_new_app_password_is_rotated_in_place(deployed):
    """Last in the module: it changes the deployed password. The server container stays; the old password is refused."""
    server = deployed.server()
    old_url = deployed.outputs()["connections"]["shop"]["url"]
    deployed.up(SECOND)
    new_url = deployed.outputs()["connections"]["shop"]["url"]
    assert new_url == "postgresql://shop:second-Pa55%3Aw%2F%40rd%3F%23%25@postgres:5432/shop"
    assert deployed.server()["Id"] == server["Id"]
    refused = psql(server, old_url, "select 1")
    assert refused.returncode != 0 and 'password authentication failed for user "shop"' in refused.stderr, refused.stderr
    answer = psql(server, new_url, "select current_user")
    assert (answer.returncode, answer.stdout.strip()) == (0, "shop"), answer.stderr
    logs = engine_api.container_logs(server["Id"])
    assert SECOND not in logs and FIRST not in logs
    deployed.pulumi("preview", "--expect-no-changes", "--diff")
