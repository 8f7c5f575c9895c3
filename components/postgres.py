"""PostgreSQL on a named volume, reachable only on the backend network, password delivered as a file.

The app's role is an ordinary role that owns its database, never a superuser: the official image
makes ``POSTGRES_USER`` the bootstrap superuser, so a one-shot job (files/pg-roles.sh) renames that one
to ``postgres`` (reachable over the server's unix socket only, no password) and gives the app a new
role of its name. SQL injection in an app then stays inside its own database (no ``COPY ... TO PROGRAM``).

On ``runtime.target == "swarm"`` (``_data_service``) the password is a Docker secret and ``init_sql``
Docker configs; the task itself runs pg-roles.sh (and pg-app-databases.sh for ``app_databases``, each
app's password a Docker secret too) at every start (a new password is a new secret, so the task
restarts stop-first on it), and turns healthy only once it has. Backups are not ported to swarm yet.

Several apps sharing one server each get a database and an ordinary role of their own
(``app_databases``, applied by files/pg-app-databases.sh in the same roles job), and a ``url`` to hand
to the app as ``DATABASE_URL``; no app's role can connect to another app's database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pulumi
import pulumi_docker as docker
from pydantic import Field, field_validator, model_validator

from . import targets, versions
from ._containers import ServiceSpec, healthcheck, object_labels, secret_password, service_container
from ._data_service import DataService
from ._files import FileBundle
from ._models import CamelModel, InputStr, Resources, Runtime, StrictModel
from ._swarm import config_files
from .nginx import Port
from .one_shot import OneShot

DATA_PATH = "/var/lib/postgresql/data"
SECRETS_PATH = "/run/secrets"
PORT = 5432
POSTGRES_UID = 999  # the official image's postgres user
KIND = "postgres"
BACKUP_KIND = "postgres-backup"
SOCKET_PATH = "/var/run/postgresql"
# The backup volume is mounted at the postgres user's home: Docker fills a new named volume with the
# image's content at the mount point, ownership included (postgres:postgres in every official image),
# so the non-root backup container can write to it with no root helper. Dumps go to backups/.
BACKUP_HOME = "/var/lib/postgresql"
BACKUP_DIR = f"{BACKUP_HOME}/backups"
BACKUP_SCRIPTS = "/opt/pg-backup"
BACKUP_COPY_PATH = "/mnt/backup-copy"
BACKUP_SCRIPT = Path(__file__).resolve().parent / "files" / "pg-backup.sh"
ROLES_SCRIPT = Path(__file__).resolve().parent / "files" / "pg-roles.sh"
ROLES_PATH = "/opt/pg-roles/pg-roles.sh"  # where a swarm task finds it (a Docker config)
APP_DATABASES_SCRIPT = Path(__file__).resolve().parent / "files" / "pg-app-databases.sh"
ADMIN_ROLE = "postgres"
"""The superuser (the renamed bootstrap one): socket only, no password; for operators and backups."""
RESERVED_ROLES = (ADMIN_ROLE, "standard_stack_provision")
SYSTEM_DATABASES = ("postgres", "template0", "template1")
SQL_NAME = r"^[a-z_][a-z0-9_]{0,62}$"
"""An app's database and role name: lowercase, so it reads the same quoted or not, and fits in a URL,
an environment variable and a file name as it is (PostgreSQL's limit is 63 bytes)."""
APP_NAME = r"^[a-z][a-z0-9-]{0,62}$"


def ordinary_role(user: str) -> str:
    """The app's role name, refused when it is the superuser's, the provisioning helper's or PostgreSQL's own (pg_*)."""
    if user in RESERVED_ROLES or user.startswith("pg_"):
        raise ValueError(f"user {user!r} is reserved (superuser or PostgreSQL's pg_ roles); use an ordinary name, e.g. 'app'")
    return user


def postgres_url(
    user: pulumi.Input[str], password: pulumi.Input[str], host: str, database: pulumi.Input[str]
) -> pulumi.Output[str]:
    """``postgresql://user:password@host:5432/database``, every part percent-encoded (libpq and SQLAlchemy
    decode them): a password with ``@``, ``/`` or ``:`` would otherwise break the URL. Secret."""

    def render(parts: list[str]) -> str:
        user_, password_, database_ = (quote(part, safe="") for part in parts)
        return f"postgresql://{user_}:{password_}@{host}:{PORT}/{database_}"

    return pulumi.Output.secret(pulumi.Output.all(user, password, database).apply(render))


def _sql_name(field: str, value: str) -> str:
    if not re.fullmatch(SQL_NAME, value):
        raise ValueError(
            f"{field} {value!r} is not allowed: use 1-63 lowercase letters, digits and underscores, not starting with a digit"
        )
    return value


class AppDatabase(StrictModel):
    """A database of one app's own, owned by an ordinary role of its own (no superuser, no CREATEDB,
    CREATEROLE, REPLICATION or BYPASSRLS). No other app's role can connect to it."""

    database: str = Field(description="Database name (lowercase letters, digits, _).")
    user: str = Field(description="The app's role (lowercase letters, digits, _); owns the database.")
    password: InputStr | None = Field(None, description="Secret; generated when None. A change is applied in place.")

    @field_validator("database")
    @classmethod
    def _database_name(cls, database: str) -> str:
        _sql_name("database", database)
        if database in SYSTEM_DATABASES:
            raise ValueError(f"database {database!r} is PostgreSQL's own; use a name of the app's, e.g. 'shop'")
        return database

    @field_validator("user")
    @classmethod
    def _role_name(cls, user: str) -> str:
        return ordinary_role(_sql_name("user", user))


class PostgresBackupArgs(CamelModel):
    """Scheduled ``pg_dump -Fc`` of every database into a backup volume (see files/pg-backup.sh).

    Also the stack file's ``postgres.backup`` section (``settings.PostgresBackupSettings`` adds ``enabled``)."""

    interval_minutes: int = Field(1440, ge=1, le=10080, description="Minutes between backup runs (the first runs at start).")
    keep_count: int = Field(14, ge=1, le=1000, description="Backups kept per database; the newest is always kept.")
    keep_days: int = Field(30, ge=1, le=3650, description="Backups older than this many days are removed (not the newest).")
    copy_to: str | None = Field(
        None,
        pattern=r"^/[^\s:]*$",
        examples=["/mnt/offsite/standard-stack"],
        description="Absolute host directory each backup is also copied to (writable by uid 999).",
    )
    resources: Resources = Field(
        Resources(memory="256Mi", memory_reservation="64Mi", cpus="0.5"), description="Limits of the backup container."
    )


class PostgresOptions(CamelModel):
    """What a stack chooses about its PostgreSQL: PostgresServiceArgs' own, and the stack file's ``postgres`` section
    (with version and backup)."""

    database: str = Field(
        "app", pattern=r"^[a-z_][a-z0-9_]{0,62}$", examples=["app", "orders_db"], description="Database created on first start."
    )
    user: str = Field(
        "app", pattern=r"^[a-z_][a-z0-9_]{0,62}$", examples=["app", "orders"], description="Owner role of the database."
    )
    host_port: Port | None = Field(None, description="Publish on 127.0.0.1:<port> for local tools (dev only).")
    init_sql: dict[str, str] = Field(
        default_factory=dict, description="Extra SQL run on an empty data directory: file name -> SQL."
    )
    resources: Resources = Resources()

    @field_validator("user")
    @classmethod
    def _not_an_admin_role(cls, user: str) -> str:
        return ordinary_role(user)


class PostgresServiceArgs(PostgresOptions):
    runtime: Runtime
    network: InputStr = Field(description="Backend network name.")
    network_id: InputStr | None = Field(None, description="Backend network id; required on swarm (tasks join by id).")
    image: str = Field(f"postgres:{versions.POSTGRES}", description="Pinned official postgres image reference.")
    password: InputStr | None = Field(None, description="Secret; generated when None.")
    alias: str = Field("postgres", description="Host name on the backend network.")
    protect_data: bool = False
    backup: PostgresBackupArgs | None = Field(None, description="Scheduled backups; None registers none.")
    docker_name: str | None = Field(
        None,
        description="Name in the data and backup volumes' Docker names; default the resource name. When renaming the "
        "resource, keep the old name here and alias the old resource (ResourceOptions(aliases=[Alias(name=old)])).",
    )

    app_databases: dict[str, AppDatabase] = Field(
        default_factory=dict,
        description="App name -> a database and role of the app's own on this server; each app's connection is in the "
        "``connections`` output. Removing one keeps its role and database (the data stays).",
    )

    @field_validator("app_databases")
    @classmethod
    def _app_names(cls, apps: dict[str, AppDatabase]) -> dict[str, AppDatabase]:
        for app in apps:
            if not re.fullmatch(APP_NAME, app):
                raise ValueError(
                    f"app name {app!r} is not allowed: use 1-63 lowercase letters, digits and hyphens, starting with a letter"
                )
        return apps

    @model_validator(mode="after")
    def _one_owner_per_database(self) -> PostgresServiceArgs:
        """Each app's database and role are its alone: shared with another app or the default ones, an
        app could read what is not its own."""
        for field, default in (("database", self.database), ("user", self.user)):
            owners: dict[str, str] = {default: f"the default {field}"}
            for app, wanted in self.app_databases.items():
                value = getattr(wanted, field)
                if value in owners:
                    raise ValueError(
                        f"app_databases.{app}.{field} {value!r} is taken by {owners[value]}; give each app a {field} of its own"
                    )
                owners[value] = f"app {app!r}"
        return self


@dataclass(frozen=True)
class AppDatabaseConnection:
    """What one app needs to reach its own database; ``url`` is what it takes as ``DATABASE_URL``."""

    host: str
    port: int
    database: str
    user: str
    password: pulumi.Output[str]
    """Secret."""
    url: pulumi.Output[str]
    """Secret: ``postgresql://user:password@host:5432/database``, percent-encoded."""

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
            "url": self.url,
        }


def app_password_file(app: str) -> str:
    """The app's password file in the server's secret bundle (read by pg-app-databases.sh only)."""
    return f"app-db-{app}-password"


class PostgresService(DataService):
    """Outputs: ``database``, ``user``, ``connections`` (app name -> ``AppDatabaseConnection`` of
    ``app_databases``), besides those of every data service (``DataService``).

    Attributes: ``ready`` (what a client's first start depends on: the server, and on a host its password
    rotation), ``backup`` (None without ``backup``).
    """

    def __init__(self, name: str, args: PostgresServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        runtime = args.runtime
        super().__init__(
            "standard-stack:index:PostgresService",
            name,
            args,
            kind=KIND,
            uid=POSTGRES_UID,
            docker_name=args.docker_name,
            opts=opts,
            problems=targets.no_backup("backup", args.backup is not None, off="None"),
        )
        self.connections: dict[str, AppDatabaseConnection] = {
            app: self._connection(name, args, app, wanted) for app, wanted in args.app_databases.items()
        }
        password, image = self.password, self.image
        self.database = pulumi.Output.from_input(args.database)
        self.user = pulumi.Output.from_input(args.user)
        self.backup: PostgresBackup | None = None
        self.rotation: OneShot | None = None
        self.container: docker.Container | docker.Service
        if runtime.target == "swarm":
            self.container = self._on_swarm(name, args)
            self.ready: list[pulumi.Resource] = [self.container]
            self._publish_postgres(name, args)
            return
        secrets = FileBundle(
            f"{name}-secrets",
            runtime=runtime,
            service=name,
            image=image.image_id,
            mount_path=SECRETS_PATH,
            files={
                "postgres_password": password,
                **{app_password_file(app): c.password for app, c in self.connections.items()},
            },
            parent=self,
        )
        # The server's socket directory is a named volume shared with the password-rotation job, so the
        # job reaches the server over the local socket (trust in the official image's pg_hba.conf)
        # without knowing the old password and without any network. Docker fills the new volume
        # with the image's postgres-owned directory.
        self.socket = docker.Volume(
            f"{name}-socket",
            name=f"{runtime.prefix}-{name}-socket",
            labels=object_labels(runtime, name, component=KIND),
            opts=pulumi.ResourceOptions(parent=self),
        )
        mounts = [
            docker.ContainerVolumeArgs(volume_name=self._host_volume().name, container_path=DATA_PATH),
            self._socket_mount(),
            secrets.mount(),
        ]
        # No files-revision label: the password file is read only on an empty data directory
        # (docker-entrypoint.sh, docker_setup_env / docker_init_database_dir), so replacing the server
        # for a new password would only cost downtime. The rotation job below applies it instead.
        extra_labels: dict[str, pulumi.Input[str]] = {}
        if args.init_sql:
            init = FileBundle(
                f"{name}-initdb",
                runtime=runtime,
                service=name,
                image=image.image_id,
                mount_path="/docker-entrypoint-initdb.d",
                files=dict(args.init_sql),
                parent=self,
            )
            mounts.append(init.mount())
            extra_labels["dev.standard-stack.initdb-revision"] = init.revision

        # Non-root from the start, no capabilities: the official entrypoint skips its root-only steps
        # (chown, gosu) when started as the postgres user (docker-entrypoint.sh,
        # docker_create_db_directories / _main), and a new named volume takes the image's
        # postgres-owned data directory. postgres is PID 1 and handles its own children (postmaster);
        # SIGINT is PostgreSQL's "fast shutdown" (postmaster.c, pmdie), the official image's STOPSIGNAL.
        self.container = self._server(
            name,
            health=healthcheck(
                ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", str(PORT), "-U", args.user, "-d", args.database],
                start_period="30s",
            ),
            port=PORT,
            tmp_size="64m",
            envs=[
                f"POSTGRES_DB={args.database}",
                f"POSTGRES_USER={args.user}",
                f"POSTGRES_PASSWORD_FILE={SECRETS_PATH}/postgres_password",
            ],
            volumes=mounts,
            extra_labels=extra_labels,
            stop_signal="SIGINT",
            shm_size=256,
            depends_on=[secrets.loader],
        )

        self.rotation = self._password_rotation(name, args, secrets=secrets)
        self.ready = [self.container, self.rotation]
        """Depend on these to start only once the server is healthy and holds the current password."""

        if args.backup is not None:
            # after the roles job: the superuser it connects as is ADMIN_ROLE from then on
            self.backup = PostgresBackup(
                name, args, image=image.image_id, socket=self._socket_mount(), depends_on=self.ready, parent=self
            )
        self._publish_postgres(name, args)

    def _publish_postgres(self, name: str, args: PostgresServiceArgs) -> None:
        self._publish(
            name,
            port=PORT,
            url=postgres_url(args.user, self.password, args.alias, args.database),
            container=self.container,
            rotation=self.rotation,
            database=self.database,
            user=self.user,
            connections={app: c.outputs() for app, c in self.connections.items()},
        )

    def _connection(self, name: str, args: PostgresServiceArgs, app: str, wanted: AppDatabase) -> AppDatabaseConnection:
        password = secret_password(f"{name}-{app}-db", wanted.password, parent=self)
        return AppDatabaseConnection(
            host=args.alias,
            port=PORT,
            database=wanted.database,
            user=wanted.user,
            password=password,
            url=postgres_url(wanted.user, password, args.alias, wanted.database),
        )

    def _on_swarm(self, name: str, args: PostgresServiceArgs) -> docker.Service:
        """One task on the labelled node; the roles and the password applied by the task itself.

        The official entrypoint reads ``POSTGRES_PASSWORD_FILE`` on an empty data directory only, and
        no one-off job on the manager can reach a socket on another node. So the task's command starts
        a helper, detached (its parent exits at once, so docker-init, PID 1, reaps it, never the
        postmaster), that waits for the real server (TCP on loopback: the entrypoint's temporary
        server during initialisation listens on the socket only), runs pg-roles.sh (a Docker config)
        over the local socket, as on the host, and marks ``/tmp/password-applied``; then the
        entrypoint replaces the shell, so the server is docker-init's child and gets the stop signal
        (SIGINT, fast shutdown) from it. The health check requires the mark: Swarm counts a task
        running, and ``pulumi up`` converged, only once healthy (``_swarm.task_healthcheck``), so the
        API starts after the app's role is ordinary and holds the password. With ``app_databases`` the
        same run creates each app's role and database (pg-app-databases.sh appended, each password a
        Docker secret of the task): the superuser is reachable over the task's own socket only, so
        no job on the manager could do it without a superuser password on the network.
        """
        script = (
            "set -eu\n"
            "apply() {\n"
            "  for attempt in $(seq 1 120); do\n"
            f'    if pg_isready -q -h 127.0.0.1 -p {PORT} && PGHOST={SOCKET_PATH} PGDATABASE="$POSTGRES_DB" '
            f'APP_ROLE="$POSTGRES_USER" PASSWORD_FILE="$POSTGRES_PASSWORD_FILE" bash {ROLES_PATH}\n'
            "    then touch /tmp/password-applied; return 0; fi\n"
            "    sleep 1\n"
            "  done\n"
            '  echo "could not provision the roles of $POSTGRES_USER" >&2\n'
            "}\n"
            "( apply & )\n"
            "exec docker-entrypoint.sh postgres\n"
        )
        files = {f"/docker-entrypoint-initdb.d/{file}": sql for file, sql in args.init_sql.items()}
        files[ROLES_PATH] = self._roles_script()
        ready = f"pg_isready -h 127.0.0.1 -p {PORT} -U {args.user} -d {args.database} && test -f /tmp/password-applied"
        return self._swarm_server(
            name,
            health=healthcheck(["CMD-SHELL", ready], start_period="30s"),
            data_path=DATA_PATH,
            secrets={
                "postgres_password": self.password,
                **{app_password_file(app): c.password for app, c in self.connections.items()},
            },
            configs=config_files(name, runtime=args.runtime, service=name, files=files, parent=self),
            # the socket directory: on the host a volume shared with the rotation job; here the task's own
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m", SOCKET_PATH: "rw,noexec,nosuid,size=1m"},
            envs={
                "POSTGRES_DB": args.database,
                "POSTGRES_USER": args.user,
                "POSTGRES_PASSWORD_FILE": f"{SECRETS_PATH}/postgres_password",
                **({"APP_DATABASES": self._app_databases()} if self.connections else {}),
            },
            command=["bash", "-c", script],
            init=True,  # docker-init runs as the postgres user too: it can signal the server
            stop_signal="SIGINT",
        )

    def _roles_script(self) -> str:
        """pg-roles.sh, then pg-app-databases.sh when apps have databases (with none, exactly what it was)."""
        script = ROLES_SCRIPT.read_text()
        return script + "\n" + APP_DATABASES_SCRIPT.read_text() if self.connections else script

    def _app_databases(self) -> str:
        """pg-app-databases.sh's ``APP_DATABASES``: ``role:database:password file`` per app."""
        return " ".join(f"{c.user}:{c.database}:{SECRETS_PATH}/{app_password_file(app)}" for app, c in self.connections.items())

    def _socket_mount(self) -> docker.ContainerVolumeArgs:
        return docker.ContainerVolumeArgs(volume_name=self.socket.name, container_path=SOCKET_PATH)

    def _password_rotation(self, name: str, args: PostgresServiceArgs, *, secrets: FileBundle) -> OneShot:
        """A one-shot job (files/pg-roles.sh) that makes the app's role ordinary and sets its password from the file;
        with ``app_databases``, files/pg-app-databases.sh after it does the same for each app's role and database.

        It runs on every deploy whose password file changed (its label carries the file bundle's
        revision) and whenever the server container is new (its id is a label: a new data directory
        has the bootstrap superuser again), after the healthy server and before anything that depends
        on ``ready`` (the API): the running database takes the new password in place, no restart, and
        the old one is refused from then on. It connects as a superuser over the shared socket
        directory, no network at all; psql reads the password from the file itself, so it is in no
        argument, and its session never logs a statement.
        """
        script, envs = self._roles_script(), []
        if self.connections:
            envs.append(f"APP_DATABASES={self._app_databases()}")
        return self._rotation_job(
            name,
            script=script,
            files_revision=secrets.revision,
            extra_labels={"dev.standard-stack.server": self.container.id},
            consequence="the role keeps its old password",
            env=[
                f"PGHOST={SOCKET_PATH}",
                f"PGDATABASE={args.database}",
                f"APP_ROLE={args.user}",
                f"PASSWORD_FILE={SECRETS_PATH}/postgres_password",
                *envs,
            ],
            volumes=[(self.socket.name, SOCKET_PATH, False), (secrets.volume.name, secrets.mount_path, True)],
            depends_on=[self.container, secrets.loader],
        )


class PostgresBackup:
    """The backup volume and the long-running backup container of one PostgresService.

    The container is the server's own image (pg_dump matches the server's major version), runs as
    the postgres user on a read-only root with no capabilities and no network at all. It connects
    over the server's socket directory as the superuser (``ADMIN_ROLE``, trust for local
    connections): it must read every database, whoever owns it, and restore roles' ownership. So it
    holds no password (no password file, no pgpass a hostile database name could send elsewhere),
    and a rotated password changes nothing here.
    """

    def __init__(
        self,
        name: str,
        args: PostgresServiceArgs,
        *,
        image: pulumi.Input[str],
        socket: docker.ContainerVolumeArgs,
        depends_on: list[pulumi.Resource],
        parent: pulumi.Resource,
    ) -> None:
        backup = args.backup
        assert backup is not None
        runtime = args.runtime
        protect = args.protect_data
        # protected and retained like the data volume: `pulumi destroy` and a deleted block leave it
        self.volume = docker.Volume(
            f"{name}-backups",
            name=f"{runtime.prefix}-{args.docker_name or name}-backups",
            labels=object_labels(runtime, f"{name}-backup", component=BACKUP_KIND),
            opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
        )
        self.scripts = FileBundle(
            f"{name}-backup",
            runtime=runtime,
            service=f"{name}-backup",
            image=image,
            mount_path=BACKUP_SCRIPTS,
            files={"pg-backup.sh": BACKUP_SCRIPT.read_text()},
            parent=parent,
        )
        mounts = [
            docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path=BACKUP_HOME),
            socket,
            self.scripts.mount(),
        ]
        if backup.copy_to:
            mounts.append(docker.ContainerVolumeArgs(host_path=backup.copy_to, container_path=BACKUP_COPY_PATH))
        interval = backup.interval_minutes * 60
        script = f"{BACKUP_SCRIPTS}/pg-backup.sh"
        self.container = service_container(
            f"{name}-backup",
            ServiceSpec(
                runtime=runtime,
                service=f"{name}-backup",
                component=BACKUP_KIND,
                image=image,
                resources=backup.resources,
                health=healthcheck(["CMD", "bash", script, "check"], start_period="30s"),
            ),
            networks=[],
            network_mode="none",
            entrypoints=["bash", script],
            command=["loop"],
            envs=[
                f"PGHOST={SOCKET_PATH}",
                f"PGPORT={PORT}",
                f"PGUSER={ADMIN_ROLE}",
                f"BACKUP_DIR={BACKUP_DIR}",
                f"BACKUP_INTERVAL_SECONDS={interval}",
                f"BACKUP_KEEP_COUNT={backup.keep_count}",
                f"BACKUP_KEEP_DAYS={backup.keep_days}",
                *([f"BACKUP_COPY_DIR={BACKUP_COPY_PATH}"] if backup.copy_to else []),
            ],
            volumes=mounts,
            extra_labels={"dev.standard-stack.files-revision": self.scripts.revision},
            user=f"{POSTGRES_UID}:0",
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[self.scripts.loader, *depends_on]),
        )
