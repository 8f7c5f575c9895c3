"""Backup and restore times of the stack's backup script for a database of a few hundred MB.

    .venv/bin/python bench/backup.py [--rows N] [--image postgres:15]

Starts a private PostgreSQL container and a backup container like the one PostgresService registers
(same image, uid 999, read-only root, the script components/files/pg-backup.sh mounted read-only),
fills a table with generated rows (SQL generate_series), then times one `pg-backup.sh now` (pg_dump
-Fc) and one `pg-backup.sh restore` (pg_restore --clean --if-exists --single-transaction). Prints
figures; asserts nothing. Everything it creates is named `ssbench-backup-*` and removed at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKER = "/usr/bin/docker"
PREFIX = "ssbench-backup"
SCRIPT = "/opt/pg-backup/pg-backup.sh"


def docker(*args: str, check: bool = True) -> str:
    proc = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=3600)
    if check and proc.returncode != 0:
        raise SystemExit(f"docker {' '.join(args[:3])} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def psql(sql: str) -> str:
    return docker("exec", f"{PREFIX}-pg", "psql", "-U", "app", "-d", "app", "-Atqc", sql).strip()


def timed(*args: str) -> tuple[float, str]:
    began = time.monotonic()
    out = docker(*args)
    return time.monotonic() - began, out


def cleanup() -> None:
    docker("rm", "-f", f"{PREFIX}-pg", f"{PREFIX}-bk", check=False)
    docker("volume", "rm", f"{PREFIX}-data", f"{PREFIX}-backups", f"{PREFIX}-secrets", check=False)
    docker("network", "rm", f"{PREFIX}-net", check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_500_000, help="rows of ~200 bytes (default: about 400 MB on disk)")
    parser.add_argument("--image", default="postgres:15")
    args = parser.parse_args()
    cleanup()
    try:
        docker("network", "create", f"{PREFIX}-net")
        docker("run", "--rm", "-v", f"{PREFIX}-secrets:/run/secrets", "--entrypoint", "sh", args.image, "-c",
               "printf bench-pw > /run/secrets/postgres_password && chmod 0444 /run/secrets/postgres_password")  # fmt: skip
        docker("run", "-d", "--name", f"{PREFIX}-pg", "--network", f"{PREFIX}-net", "--shm-size", "256m",
               "-e", "POSTGRES_USER=app", "-e", "POSTGRES_DB=app",
               "-e", "POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password",
               "-v", f"{PREFIX}-data:/var/lib/postgresql/data",
               "-v", f"{PREFIX}-secrets:/run/secrets:ro", args.image)  # fmt: skip
        for _ in range(60):
            if subprocess.run([DOCKER, "exec", f"{PREFIX}-pg", "pg_isready", "-h", "127.0.0.1", "-U", "app"],
                              capture_output=True).returncode == 0:  # fmt: skip
                break
            time.sleep(1)
        began = time.monotonic()
        psql(
            "create table items (id bigint primary key, name text, body text, created timestamptz default now());"
            "insert into items (id, name, body) select g, 'item ' || g, repeat(md5(g::text), 5)"
            f" from generate_series(1, {args.rows}) g;"
        )
        fill = time.monotonic() - began
        size = int(psql("select pg_database_size('app')"))
        docker("run", "-d", "--name", f"{PREFIX}-bk", "--network", f"{PREFIX}-net", "--user", "999:0", "--read-only",
               "--tmpfs", "/tmp", "--cap-drop", "ALL", "-v", f"{PREFIX}-backups:/var/lib/postgresql",
               "-v", f"{PREFIX}-secrets:/run/secrets:ro", "-v", f"{REPO / 'components' / 'files'}:/opt/pg-backup:ro",
               "-e", f"PGHOST={PREFIX}-pg", "-e", "PGUSER=app", "-e", "PASSWORD_FILE=/run/secrets/postgres_password",
               "-e", "BACKUP_INTERVAL_SECONDS=86400", "--entrypoint", "sleep", args.image, "86400")  # fmt: skip
        # no schedule here: the timed on-demand run is the only one (a scheduled run would hold the lock)
        backup_s, out = timed("exec", f"{PREFIX}-bk", "bash", SCRIPT, "now")
        dump = next(line.split("file=")[1].rsplit("/", 1)[1] for line in out.splitlines() if " ok database=app" in line)
        dump_size = int(next(p.split("=")[1] for p in out.split() if p.startswith("size=")))
        psql("delete from items where id % 2 = 0")  # the damage the restore undoes
        restore_s, _ = timed("exec", f"{PREFIX}-bk", "bash", SCRIPT, "restore", dump)
        rows = int(psql("select count(*) from items"))
        print(f"database: {size / 2**20:.0f} MiB ({args.rows} rows, filled in {fill:.1f}s), image {args.image}")
        print(
            f"backup  (pg_dump -Fc -Z6): {backup_s:.1f}s,"
            f" dump {dump_size / 2**20:.1f} MiB ({dump_size / size:.2f} of the database)"
        )
        print(f"restore (pg_restore --clean --single-transaction): {restore_s:.1f}s, rows back: {rows}")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
