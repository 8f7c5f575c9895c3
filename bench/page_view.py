"""What one page view costs at 100, 10,000 and 100,000 items, and what one API worker holds (issue 21).

The API runs as the image runs it (``python -m app``, one uvicorn worker) against a real PostgreSQL
and Redis started here from Debian's binaries on loopback; the web app, when built
(``images/web/.next/standalone``, made by ``images/web/scripts/test``), runs its standalone server
against that API. Per table size: the list call the page makes (``GET /items?order=desc&limit=101``),
the home page itself, and for contrast the walk the page made before (offset pages from the oldest,
up to 10,000 items). Then, on a fresh API process, the planted-rows attack (300 one-megabyte
descriptions: refused), 300 such rows planted straight into the table as if stored before the limit,
and 200 items of the largest size allowed: the worker's resident memory before and at its peak.
Prints a table and writes ``bench/results/page-view-latest.json``; asserts nothing about timing.

    images/api/.venv/bin/python bench/page_view.py [--views 200] [--sizes 100,10000,100000]

``images/api/.venv`` is the API's locked environment (``images/api/scripts/test`` creates it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
API_DIR = REPO / "images" / "api"
WEB_SERVER = REPO / "images" / "web" / ".next" / "standalone" / "server.js"
PG_CTL = API_DIR / "tests" / "bin" / "pg_ctl"  # runs the real pg_ctl as 'postgres' when started as root
RESULTS = REPO / "bench" / "results" / "page-view-latest.json"
LIST_CALL = "/items?order=desc&limit=101"
MEGABYTE_DESCRIPTION = "x" * 1_000_000

try:
    import psycopg
except ImportError:
    sys.exit("page_view: needs the API's environment: run it with images/api/.venv/bin/python (images/api/scripts/test makes it)")


def log(message: str) -> None:
    print(f"[page-view {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds} s")


@contextmanager
def postgres(workdir: Path) -> Iterator[int]:
    port, data = free_port(), workdir / "pg" / "data"
    data.parent.mkdir(parents=True)
    subprocess.run([PG_CTL, "initdb", "-D", data, "-o", "--auth=trust --username=postgres"], check=True, capture_output=True)
    options = f"-F -p {port} -c listen_addresses=127.0.0.1 -k {data.parent}"
    subprocess.run([PG_CTL, "start", "-w", "-D", data, "-l", data.parent / "log", "-o", options], check=True, capture_output=True)
    try:
        yield port
    finally:
        subprocess.run([PG_CTL, "stop", "-m", "fast", "-D", data], capture_output=True)


@contextmanager
def process(
    argv: list[str], env: dict[str, str], cwd: Path, ready: Callable[[], bool], what: str
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: proc.poll() is None and ready(), what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def api_process(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """`python -m app` (one uvicorn worker, as the image runs it): its port and pid."""
    port = free_port()
    argv = [sys.executable, "-m", "app"]
    with process(argv, env | {"API_PORT": str(port)}, API_DIR, lambda: get(port, "/health")[0] == 200, "API") as proc:
        yield port, proc.pid


def get(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def timed(port: int, paths: Callable[[http.client.HTTPConnection], None], views: int) -> dict[str, float]:
    """Milliseconds per view over one keep-alive connection, after views // 10 untimed ones."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples = []
    for n in range(views + max(views // 10, 2)):
        start = time.perf_counter()
        paths(conn)
        if n >= max(views // 10, 2):
            samples.append((time.perf_counter() - start) * 1000)
    conn.close()
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2)}


def one_call(port: int, path: str) -> Callable[[http.client.HTTPConnection], None]:
    def view(conn: http.client.HTTPConnection) -> None:
        status, _ = get(port, path, conn)
        assert status == 200, f"GET {path}: {status}"

    return view


def old_walk(port: int) -> Callable[[http.client.HTTPConnection], None]:
    """The page before issue 21: offset pages from the oldest, up to 10,000 items (now pages of 200)."""

    def view(conn: http.client.HTTPConnection) -> None:
        for page in range(50):
            status, body = get(port, f"/items?offset={page * 200}&limit=200", conn)
            assert status == 200
            if len(json.loads(body)) < 200:
                return

    return view


def fill(db: str, upto: int) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM items").fetchone()[0]
        conn.execute(
            "INSERT INTO items (name, description) SELECT 'item ' || n, repeat('d', 200)"
            " FROM generate_series(%s::bigint, %s::bigint) AS n",
            (have + 1, upto),
        )
        conn.execute("VACUUM ANALYZE items")


def memory_kib(pid: int) -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def post_item(port: int, description: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST", "/items", json.dumps({"name": "planted", "description": description}), {"content-type": "application/json"}
    )
    status = conn.getresponse().status
    conn.close()
    return status


def memory_under_attack(env: dict[str, str], db: str) -> dict[str, object]:
    """Fresh API process: resident memory before, after the attack and after the largest pages."""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("TRUNCATE items")
    with api_process(env) as (port, pid):
        get(port, LIST_CALL)
        start = memory_kib(pid)
        statuses = [post_item(port, MEGABYTE_DESCRIPTION) for _ in range(300)]
        with psycopg.connect(db, autocommit=True) as conn:
            stored = conn.execute("SELECT count(*) FROM items").fetchone()[0]
            # Rows planted before the limit existed: the NOT VALID check keeps them, lists cut them.
            conn.execute("ALTER TABLE items DROP CONSTRAINT items_description_length")
            conn.execute(
                "INSERT INTO items (name, description)"
                " SELECT 'old planted ' || n, repeat('x', 1000000) FROM generate_series(1, 300) n"
            )
            conn.execute(
                "ALTER TABLE items ADD CONSTRAINT items_description_length CHECK (char_length(description) <= 2000) NOT VALID"
            )
        for _ in range(20):
            assert get(port, "/items?order=desc&limit=200")[0] == 200
        planted = memory_kib(pid)
        largest = "\U0001f600"  # four bytes in UTF-8, four in a Python str: the costliest character
        for _ in range(200):
            assert post_item(port, largest * 2000) == 201
        _, body = get(port, "/items?order=desc&limit=200")
        for _ in range(50):
            assert get(port, "/items?order=desc&limit=200")[0] == 200
        worst = memory_kib(pid)
    return {
        "attack_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "attack_rows_stored": stored,
        "rss_start_kib": start["VmRSS"],
        "peak_after_300_planted_1mb_rows_kib": planted["VmHWM"],
        "peak_after_largest_pages_kib": worst["VmHWM"],
        "largest_page_bytes": len(body),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=200, help="timed views per figure (old walk: a tenth)")
    parser.add_argument("--sizes", default="100,10000,100000", help="table sizes, ascending")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    for tool in ("redis-server", "node"):
        if not shutil.which(tool):
            sys.exit(f"page_view: {tool} is not on PATH")
    with tempfile.TemporaryDirectory(prefix="page-view-bench-") as tmp, ExitStack() as outer:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        pg_port = outer.enter_context(postgres(workdir))
        admin = f"host=127.0.0.1 port={pg_port} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        db = f"host=127.0.0.1 port={pg_port} user=postgres dbname=bench"
        redis_port = free_port()
        outer.enter_context(
            process(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                dict(os.environ),
                workdir,
                lambda: subprocess.run(["redis-cli", "-p", str(redis_port), "ping"], capture_output=True).returncode == 0,
                "redis",
            )
        )
        env = {
            "PATH": os.environ["PATH"],
            "SECRETS_DIR": str(workdir / "no-secrets"),
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(pg_port),
            "POSTGRES_DB": "bench",
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "trust-auth",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis_port),
            "LOG_LEVEL": "warning",
            "API_WORKERS": "1",
        }
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=API_DIR, env=env, check=True, capture_output=True
        )

        api_stack = ExitStack()
        api_port, _ = api_stack.enter_context(api_process(env))
        web_port = None
        if WEB_SERVER.exists():
            web_port = free_port()
            web_env = {"PATH": os.environ["PATH"], "NODE_ENV": "production", "PORT": str(web_port), "HOSTNAME": "127.0.0.1"}
            outer.enter_context(
                process(
                    ["node", str(WEB_SERVER)],
                    web_env | {"API_INTERNAL_URL": f"http://127.0.0.1:{api_port}", "NEXT_TELEMETRY_DISABLED": "1"},
                    WEB_SERVER.parent,
                    lambda: get(web_port, "/health")[0] == 200,
                    "web",
                )
            )
        else:
            log(f"no {WEB_SERVER.relative_to(REPO)}: home page not measured (images/web/scripts/test builds it)")

        rows = []
        for size in sizes:
            fill(db, size)
            log(f"{size} items")
            row: dict[str, object] = {"items": size, "list_call": timed(api_port, one_call(api_port, LIST_CALL), args.views)}
            if web_port:
                row["home_page"] = timed(web_port, one_call(web_port, "/"), max(args.views // 4, 10))
            row["old_walk"] = timed(api_port, old_walk(api_port), max(args.views // 20, 5))
            rows.append(row)
        api_stack.close()
        log("memory: planted rows and largest pages on a fresh API process")
        memory = memory_under_attack(env, db)

    report = {"measured": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "sizes": rows, "memory": memory}
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    first, last = rows[0], rows[-1]
    print("| items | list call, median (p95) ms | home page, median (p95) ms | old walk, median ms |")
    print("|---|---|---|---|")
    for row in rows:
        home = row.get("home_page")
        home_text = f"{home['median_ms']} ({home['p95_ms']})" if home else "-"  # type: ignore[index]
        call = row["list_call"]
        print(f"| {row['items']:,} | {call['median_ms']} ({call['p95_ms']}) | {home_text} | {row['old_walk']['median_ms']} |")  # type: ignore[index]
    for key in ("list_call", "home_page"):
        if key in first:
            ratio = last[key]["median_ms"] / first[key]["median_ms"]  # type: ignore[index]
            print(f"{key}: {last['items']:,} vs {first['items']:,} items = {ratio:.2f}x (target <= 1.3x)")
    print(json.dumps(memory, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
