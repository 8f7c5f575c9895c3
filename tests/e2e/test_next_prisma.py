"""A stock Next.js standalone app with Prisma deployed unchanged with App, through the real CLI.

tests/e2e/next_prisma is a program of its own (project ``next-prisma``): PostgreSQL with a database and
role of the app's own (``app_databases``), the notes page of tests/apps/next-prisma as an ``App``
(port 3000, no health route of its own: the HTTP probe on ``/`` run by the image's ``node``;
DATABASE_URL a secret set in its own process by the exec wrapper; read-only root with tmpfs at /tmp
and /app/.next/cache) and a ReverseProxy. The image is built once for the module (the source change
builds its second release); the program and the app are copied into a private directory.

SUBSTITUTE MIGRATION WHERE PRISMA'S SCHEMA ENGINE CANNOT BE DOWNLOADED. The app's one-shot job is
``npx prisma migrate deploy``, and Prisma 7.10's CLI needs its native schema engine for it, fetched from
https://binaries.prisma.sh/all_commits/d1b3f377ca835d73fd50954a5e22128b9ebdd6b8/debian-openssl-3.0.x/schema-engine.gz
(tests/apps/README.md, "Build-environment facts"). Where that host is unreachable, ``npm ci``'s
postinstall leaves the image without the engine, and ``NEXT_PRISMA_ENGINE_BINARY`` (default
``/bin/true``, as the smoke test's) is passed as the build argument PRISMA_SCHEMA_ENGINE_BINARY so that
``prisma generate`` builds. Then the job is a stand-in, ``MIGRATE_SUBSTITUTE``: the same image, the
same job mechanism, ``node`` with the image's own ``pg`` module applying ``prisma/migrations/*/
migration.sql`` in order and recording each in Prisma's ``_prisma_migrations`` table as Prisma does
(so a second run applies nothing). Set ``NEXT_PRISMA_ENGINE_BINARY=`` (empty) on a host that reaches
binaries.prisma.sh: the image then carries the engine and the job is the real ``prisma migrate deploy``.
The last test runs the real command as the job either way: it migrates (where the engine is there) or
fails the deploy with the job's log in Pulumi's error (here).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator

import engine_api
import pytest
from deploy import DeployFailed
from pulumi import automation as auto
from stack import RequestLoop, docker_exec, http
from user_program import BASE_IMAGES, UserProgram, deployed

pytestmark = pytest.mark.e2e

PROJECT = "next-prisma"
STACK = "next-prisma-e2e"
HTTP_PORT = 28960
URL = f"http://127.0.0.1:{HTTP_PORT}"
SERVICE, JOB = "notes-web", "notes-web-migrate"
SCHEMA_ENGINE_URL = (
    "https://binaries.prisma.sh/all_commits/d1b3f377ca835d73fd50954a5e22128b9ebdd6b8/debian-openssl-3.0.x/schema-engine.gz"
)
ENGINE_BINARY = os.environ.get("NEXT_PRISMA_ENGINE_BINARY", "/bin/true")
"""The build argument PRISMA_SCHEMA_ENGINE_BINARY; empty where the build can download the engine."""
SUBSTITUTE = bool(ENGINE_BINARY)
PRISMA_MIGRATE = ["npx", "prisma", "migrate", "deploy"]

# Prisma's own bookkeeping table (schema engine, PostgreSQL flavour) and checksum (sha256 of the file)
MIGRATE_SUBSTITUTE_JS = r"""
const fs = require("fs"), crypto = require("crypto"), { Client } = require("pg");
const dir = "prisma/migrations";
(async () => {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  await db.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
  const names = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const name of names) {
    const sql = fs.readFileSync(`${dir}/${name}/migration.sql`, "utf8");
    const done = await db.query(
      `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      [name]);
    if (done.rowCount) { console.log(`${name}: already applied`); continue; }
    await db.query("BEGIN");
    await db.query(sql);
    await db.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
       VALUES ($1, $2, now(), $3, 1)`,
      [crypto.randomUUID(), crypto.createHash("sha256").update(sql).digest("hex"), name]);
    await db.query("COMMIT");
    console.log(`${name}: applied`);
  }
  await db.end();
})().catch((error) => { console.error(`migration failed: ${error.message}`); process.exit(1); });
"""
MIGRATE_SUBSTITUTE = ["node", "-e", MIGRATE_SUBSTITUTE_JS]


def migration_config() -> dict[str, auto.ConfigValue]:
    if not SUBSTITUTE:
        return {}
    return {
        "prismaSchemaEngineBinary": auto.ConfigValue(value=ENGINE_BINARY),
        "migrationCommand": auto.ConfigValue(value=json.dumps(MIGRATE_SUBSTITUTE)),
    }


@pytest.fixture(scope="module")
def next_prisma(toolchain, tmp_path_factory) -> Iterator[UserProgram]:
    if SUBSTITUTE:
        print(
            f"\nSUBSTITUTE MIGRATION: Prisma's schema engine cannot be downloaded here ({SCHEMA_ENGINE_URL} fails), "
            f"so the job runs node + pg applying prisma/migrations/*/migration.sql instead of `npx prisma migrate deploy` "
            f"(build argument PRISMA_SCHEMA_ENGINE_BINARY={ENGINE_BINARY}; set NEXT_PRISMA_ENGINE_BINARY= where it can)"
        )
    config = {
        "httpPort": str(HTTP_PORT),
        "postgresImage": BASE_IMAGES["postgresImage"],
        "nginxVersion": BASE_IMAGES["nginxVersion"],
    }
    program = UserProgram(
        tmp_path_factory.mktemp("next-prisma"),
        program="next_prisma",
        app="next-prisma",
        project=PROJECT,
        stack=STACK,
        config={**{key: auto.ConfigValue(value=value) for key, value in config.items()}, **migration_config()},
    )
    started = time.monotonic()
    with deployed(program):
        print(f"next-prisma: first deploy (image build included) took {time.monotonic() - started:.0f} s")
        yield program


def containers_of(next_prisma: UserProgram, service: str) -> list[dict]:
    return [c for c in next_prisma.objects()["containers"] if c["Labels"]["dev.standard-stack.service"] == service]


def psql(next_prisma: UserProgram, sql: str) -> str:
    """``psql "$DATABASE_URL"`` as the app's own role (its URL, over TCP to the backend alias), in the server's container."""
    [server] = [c for c in containers_of(next_prisma, "postgres") if c["State"] == "running"]
    url = next_prisma.outputs()["database_url"]
    answer = engine_api.cli(
        "exec", "-e", f"DATABASE_URL={url}", server["Id"],
        "sh", "-c", 'psql "$DATABASE_URL" -X -At -v ON_ERROR_STOP=1 -c "$0"', sql,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.strip()


def page() -> str:
    status, _, body = http("GET", f"{URL}/")
    assert status == 200, body[:500]
    return body.replace("<!-- -->", "")  # React's separator between adjacent text nodes


def test_the_page_renders_rows_read_through_prisma_as_the_apps_own_role_through_the_proxy(next_prisma):
    marker = secrets.token_hex(4)
    psql(next_prisma, f"""INSERT INTO "Note" (body) VALUES ('first note {marker}'), ('second note {marker}')""")
    count = psql(next_prisma, 'SELECT count(*) FROM "Note"')
    body = page()
    assert f"first note {marker}" in body and f"second note {marker}" in body, body[:1000]
    assert f"{count} notes" in body
    assert next_prisma.outputs()["database_user"] == "notes_web"  # not the superuser


def test_the_app_without_a_health_route_is_healthy_by_the_probe_on_root_as_the_images_user_on_a_read_only_root(next_prisma):
    assert http("GET", f"{URL}/health")[0] == 404  # the app has no health route of its own
    inspected = engine_api.get_json(f"/containers/{next_prisma.outputs()['container']}/json")
    assert inspected["State"]["Health"]["Status"] == "healthy"
    assert "http://127.0.0.1:3000/" in " ".join(inspected["Config"]["Healthcheck"]["Test"])
    assert inspected["Config"]["User"] == "nextjs"  # the image's own (USER nextjs), not set by the component
    assert docker_exec(inspected["Id"], "id", "-u").stdout.strip() == "1001"
    assert inspected["HostConfig"]["ReadonlyRootfs"] is True
    assert set(inspected["HostConfig"]["Tmpfs"]) == {"/tmp", "/app/.next/cache"}


def test_the_migration_job_ran_in_the_apps_image_and_its_role_owns_the_schema(next_prisma):
    [job] = containers_of(next_prisma, JOB)
    inspected = engine_api.get_json(f"/containers/{job['Id']}/json")
    assert inspected["State"]["ExitCode"] == 0
    assert inspected["Config"]["Cmd"] == (MIGRATE_SUBSTITUTE if SUBSTITUTE else PRISMA_MIGRATE)
    assert inspected["Image"] == engine_api.get_json(f"/containers/{next_prisma.outputs()['container']}/json")["Image"]
    assert psql(next_prisma, "SELECT tableowner FROM pg_tables WHERE tablename = 'Note'") == "notes_web"
    assert psql(next_prisma, 'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL') == (
        "20260101000000_init"
    )


def test_a_second_preview_changes_nothing(next_prisma):
    next_prisma.run("preview", expect_no_changes=True, diff=True)


def test_no_container_shows_a_secret_value_in_docker_inspect(next_prisma):
    values = next_prisma.outputs()["secret_values"]
    containers = next_prisma.objects()["containers"]
    assert {SERVICE, JOB, "postgres"} <= {c["Labels"]["dev.standard-stack.service"] for c in containers}
    for container in containers:
        inspected = json.dumps(engine_api.get_json(f"/containers/{container['Id']}/json"))
        leaked = [f"{value[:4]}…" for value in values if value in inspected]
        assert not leaked, f"{container['Names'][0]} shows secret values in docker inspect: {leaked}"


def test_the_state_holds_no_secret_value_in_plain_text(next_prisma):
    state = next_prisma.exported_state()
    assert '"ciphertext"' in state  # the secrets are there, encrypted
    assert not [value[:4] for value in next_prisma.outputs()["secret_values"] if value in state]


def test_a_source_change_deploys_the_app_create_first_with_no_failed_request(next_prisma):
    before = next_prisma.outputs()
    token = secrets.token_hex(8)
    (next_prisma.app / "public" / "release.txt").write_text(f"release {token}\n")
    with RequestLoop([f"{URL}/"], interval=0.1) as loop:
        started = time.monotonic()
        outcome = next_prisma.run("up")
        took = time.monotonic() - started
    after = next_prisma.outputs()
    assert after["release"] != before["release"]
    ops = outcome.ops_of(SERVICE)
    assert ops.index("create-replacement") < ops.index("delete-replaced"), ops
    status, _, body = http("GET", f"{URL}/release.txt")
    assert (status, body.strip()) == (200, f"release {token}")
    print(f"source change: deployed in {took:.0f} s; {loop.total} requests through the proxy, {len(loop.failures)} failed")
    assert loop.total > 50
    assert loop.failures == []
    next_prisma.run("preview", expect_no_changes=True, diff=True)


def test_prisma_migrate_deploy_as_the_job_migrates_or_fails_the_deploy_with_its_log(next_prisma):
    """Last: the seed's own command as the job. Where the image has Prisma's schema engine it migrates;
    where it could not be downloaded (see the module's docstring) the deploy fails with the job's log,
    and the running release keeps serving."""
    serving = next_prisma.outputs()["container"]
    next_prisma.stack.remove_config("migrationCommand")
    try:
        try:
            next_prisma.run("up")
            failure = None
        except DeployFailed as error:
            failure = str(error)
        if failure is None:
            [job] = containers_of(next_prisma, JOB)
            inspected = engine_api.get_json(f"/containers/{job['Id']}/json")
            assert (inspected["Config"]["Cmd"], inspected["State"]["ExitCode"]) == (PRISMA_MIGRATE, 0)
            assert psql(next_prisma, "SELECT to_regclass('\"Note\"') IS NOT NULL") == "t"
            print("prisma migrate deploy: ran as the job and succeeded")
        else:
            assert f"{SERVICE}: database migration failed with exit code" in failure, failure[-3000:]
            log = re.split(r"\n\s*---\n", failure.split("--- database migration log ---", 1)[1])[0]
            assert "Loaded Prisma config from prisma.config.ts" in log, failure[-3000:]  # Prisma's own output
            assert engine_api.get_json(f"/containers/{serving}/json")["State"]["Health"]["Status"] == "healthy"
            assert "notes" in page()
            print(f"prisma migrate deploy: failed the deploy with its log: {log.strip().splitlines()}")
    finally:
        for key, value in migration_config().items():
            next_prisma.stack.set_config(key, value)
        next_prisma.run("up")
    next_prisma.run("preview", expect_no_changes=True, diff=True)
