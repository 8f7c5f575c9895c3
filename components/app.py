"""Any app image, described once: a container on one Docker host or a Swarm service.

The component takes the app's contract as input (port, health, command, user, env, secrets, a
one-shot job, writable paths, volumes) instead of knowing the app: ``PythonApi`` and ``NextApp`` are
presets of it, and a ``Worker`` is the same description without a port.

Secrets are files (root-owned 0440 under ``secrets_path``). With ``secrets_as_env`` each is also an
environment variable of the app's own process: a small POSIX ``sh`` script, delivered with the
secret files, is the container's entrypoint; it exports ``NAME="$(cat <secrets_path>/NAME)"`` and
``exec``s the app's real entrypoint and command. The values are never in the container's config,
labels, command line or Pulumi state in plain text (``docker inspect`` shows the script's path only).
An image without a shell (``scratch``, distroless) takes ``env_wrapper="static"``: a thin image is
derived from the app's (``files/env-exec``: a static Go wrapper copied in), and the wrapper, given
``NAME=<file>`` pairs, does the same and ``exec``s the app.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import pulumi
import pulumi_docker as docker
from pydantic import Field, field_validator, model_validator

from . import targets, versions
from ._app_image import source_mount
from ._containers import (
    ServiceSpec,
    container_upstream,
    data_volume,
    healthcheck,
    job_succeeded,
    one_shot_job,
    pulled_image,
    service_container,
)
from ._files import FileBundle
from ._models import ImageBuild, InputStr, Resources, Runtime, StrictModel, Upstream
from ._swarm import TaskNetwork, secret_files, swarm_service, volume_mount
from .problems import Problem, refuse
from .releases import Release, ReleaseArgs, build_image, held_image, release_tag

Duration = Annotated[str, Field(pattern=r"^([0-9]+(ms|s|m|h))+$", examples=["5s", "1m30s"])]
EnvName = r"^[A-Za-z_][A-Za-z0-9_]*$"
FileName = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
AbsolutePath = r"^/[A-Za-z0-9_./-]*$"
ENV_WRAPPER = "standard-stack-env.sh"
"""The exec wrapper's file name, beside the secret files."""
ENV_EXEC = "/standard-stack/env-exec"
"""The static exec wrapper's path in an image derived for ``env_wrapper="static"``."""
ENV_EXEC_SOURCE = Path(__file__).resolve().parent / "files" / "env-exec"
"""Its source and the Dockerfile that derives the image (build args BASE and GO_VERSION)."""
Prober = Literal["python3", "python", "node", "wget", "curl"]


class HealthCheck(StrictModel):
    """How Docker tells the app is ready: an HTTP GET of ``http_path`` on the app's port, or ``command``.

    Docker runs the probe *inside* the container, so the HTTP form needs a program there that speaks
    HTTP: ``prober`` names it (``python3``/``python``, ``node``, ``wget`` or ``curl``; none of them
    is in a ``scratch`` or distroless image). Otherwise give ``command``, e.g. the app's own
    ``["/app", "health"]``. Any non-2xx/3xx answer, a refused connection or a timeout is unhealthy.
    """

    http_path: str | None = Field(None, pattern=r"^/[A-Za-z0-9_.~/-]*$", description="e.g. /health/ (needs port).")
    prober: Prober = Field("python3", description="The program in the image that runs the HTTP probe.")
    command: list[str] | None = Field(None, min_length=1, description="Exec form, run in the container; exit 0 is healthy.")
    interval: Duration = "5s"
    timeout: Duration = "3s"
    start_period: Duration = "10s"
    retries: int = Field(5, ge=1, le=100)

    @model_validator(mode="after")
    def _one_form(self) -> HealthCheck:
        if (self.http_path is None) == (self.command is None):
            raise ValueError("health: give exactly one of http_path (an HTTP GET on the port) or command")
        return self

    def test(self, port: int | None) -> list[str]:
        """Docker's ``test`` list (exec form, no shell)."""
        if self.command is not None:
            return ["CMD", *self.command]
        url = f"http://127.0.0.1:{port}{self.http_path}"
        if self.prober in ("python3", "python"):
            return ["CMD", self.prober, "-c", f"import urllib.request; urllib.request.urlopen('{url}', timeout=3)"]
        if self.prober == "node":
            return ["CMD", "node", "-e", f"fetch('{url}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
        if self.prober == "wget":
            return ["CMD", "wget", "-q", "-O", "/dev/null", url]
        return ["CMD", "curl", "-fsS", "-o", "/dev/null", url]

    def docker_args(self, port: int | None) -> docker.ContainerHealthcheckArgs:
        return healthcheck(
            self.test(port), interval=self.interval, timeout=self.timeout, start_period=self.start_period, retries=self.retries
        )


class AppJob(StrictModel):
    """A one-shot command in the app's image, run before each new release starts (a migration).

    It gets the app's env, secrets, user and entrypoint; a non-zero exit fails the deploy with its log,
    and the release is not started. It runs again only when its inputs change (a new image, env, secrets).
    """

    command: list[str] = Field(min_length=1, examples=[["alembic", "upgrade", "head"]])
    name: str = Field("job", pattern=r"^[a-z0-9][a-z0-9-]*$", description="Resource name suffix: <app>-<name>.")
    what: str = Field("one-shot job", description="Names the job in a failure's message, e.g. 'database migration'.")
    component: str | None = Field(None, description="Its component label; default <app component>-<name>.")
    networks: list[InputStr] | None = Field(None, description="Networks it joins; default the app's.")
    tmpfs: dict[str, str] = Field(default_factory=lambda: {"/tmp": "rw,noexec,nosuid,size=16m"})
    depends_on: Sequence[pulumi.Resource] | None = Field(
        None, description="What it waits for (a migration: the database alone); default the app's depends_on."
    )


class AppArgs(StrictModel):
    """One app's contract. Defaults keep what every component of this library does: non-root hardening,
    read-only root with a /tmp tmpfs, health-gated create-first replacement, log rotation, labels."""

    runtime: Runtime
    build: ImageBuild | None = Field(None, description="Build the image from sources (content-tagged releases).")
    image: InputStr | None = Field(
        None, description="Or an existing image reference, pulled unless on the host (e.g. another App's image_name)."
    )
    registry: str | None = Field(None, description="Push built images here; required on swarm.")
    release: ReleaseArgs = Field(ReleaseArgs(), description="Built images: a pinned earlier release; releases kept.")
    port: int | None = Field(None, ge=1, le=65535, description="The port the app listens on; None: no port (a worker).")
    networks: list[InputStr] = Field(min_length=1, description="Docker network names it joins; the first is the proxy's.")
    network_ids: list[InputStr] | None = Field(None, description="Swarm: the same networks' ids (tasks join by id).")
    aliases: list[str] | None = Field(None, description="Host names on every network; default [the resource name].")
    health: HealthCheck | None = Field(None, description="None: no health check (the container only has to start).")
    entrypoint: list[str] | None = Field(None, description="Replaces the image's ENTRYPOINT ([] for none).")
    command: list[str] | None = Field(None, description="Replaces the image's CMD.")
    user: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$", description="user[:group]; default the image's."
    )
    working_dir: str | None = Field(None, pattern=AbsolutePath)
    env: dict[str, InputStr] = Field(default_factory=dict, description="Plain settings (values or outputs); never secrets.")
    secrets: dict[str, InputStr] = Field(default_factory=dict, description="File name -> secret value.")
    secrets_path: str = Field("/run/secrets", pattern=AbsolutePath, description="Directory of the secret files.")
    secrets_as_env: bool = Field(
        False,
        description="Also set each secret as an environment variable of the same name inside the app's process, "
        "through an exec wrapper (entrypoint and command given).",
    )
    env_wrapper: Literal["sh", "static"] = Field(
        "sh",
        description="The secrets_as_env wrapper: 'sh', a script run by the image's /bin/sh (needs sh and cat); "
        "'static', a static binary copied into an image derived from the app's (for scratch or distroless images).",
    )
    job: AppJob | None = Field(None, description="One-shot command before each new release starts.")
    read_only: bool = Field(True, description="Read-only root filesystem; writable paths through tmpfs.")
    tmpfs: dict[str, str] = Field(
        default_factory=lambda: {"/tmp": "rw,noexec,nosuid,size=64m"}, description="Path -> Docker tmpfs options."
    )
    volumes: dict[str, str] = Field(default_factory=dict, description="Named data volume -> container path.")
    protect_data: bool = Field(False, description="Keep the data volumes through destroy (prod).")
    source_mounts: dict[str, str] = Field(default_factory=dict, description="Dev: host directory -> path, read-only.")
    resources: Resources = Resources()
    replicas: int = Field(1, ge=1, description="Swarm tasks; one Docker host runs 1.")
    stop_signal: str | None = Field(None, pattern=r"^(SIG[A-Z0-9]+|[0-9]+)$", description="Default the image's (SIGTERM).")
    stop_grace_seconds: int | None = Field(None, ge=0, le=3600, description="Before a kill; default the runtime's.")
    init: bool = Field(True, description="docker-init as PID 1 (forwards signals, reaps zombies).")
    component: str = Field("app", pattern=r"^[a-z0-9][a-z0-9-]*$", description="The component label policies key on.")
    depends_on: Sequence[pulumi.Resource] = Field(
        default_factory=list, description="Started after these (healthy data services)."
    )

    @field_validator("tmpfs")
    @classmethod
    def _absolute_tmpfs(cls, value: dict[str, str]) -> dict[str, str]:
        return _absolute("tmpfs", value.keys(), value)

    @field_validator("volumes", "source_mounts")
    @classmethod
    def _absolute_mounts(cls, value: dict[str, str]) -> dict[str, str]:
        return _absolute("mount", value.values(), value)

    @model_validator(mode="after")
    def _consistent(self) -> AppArgs:
        problems = []
        if (self.build is None) == (self.image is None):
            problems.append("give exactly one of build (sources) or image (an existing reference)")
        if self.image is not None and self.release.pin is not None:
            problems.append("release.pin needs build: a pulled image is already pinned by its reference")
        if self.health is not None and self.health.http_path is not None and self.port is None:
            problems.append("health.http_path needs port: the probe asks the app on its port")
        pattern = EnvName if self.secrets_as_env else FileName
        for key in self.secrets:
            if not re.fullmatch(pattern, key) or key == ENV_WRAPPER:
                form = "an environment variable name (secrets_as_env)" if self.secrets_as_env else "a file name"
                problems.append(f"secrets key {key!r} must be {form}")
        if self.secrets_as_env:
            if not self.secrets:
                problems.append("secrets_as_env is on but secrets is empty")
            if self.entrypoint is None or self.command is None:
                problems.append(
                    "secrets_as_env needs entrypoint and command given (entrypoint [] if the image has none): the "
                    "wrapper runs them, and the image's own are not known before it is built"
                )
        if self.env_wrapper == "static":
            if not self.secrets_as_env:
                problems.append("env_wrapper 'static' needs secrets_as_env: it only sets secrets as the environment")
            if self.image is not None and not isinstance(self.image, str):
                problems.append(
                    "env_wrapper 'static' needs image as a reference string (e.g. another App's release.image_name, "
                    "with depends_on that App): the derived image's tag is computed from it before the deploy"
                )
        for key in self.env:
            if not re.fullmatch(EnvName, key):
                problems.append(f"env key {key!r} must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
            if self.secrets_as_env and key in self.secrets:
                problems.append(f"{key} is in both env and secrets")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _absolute(what: str, paths: Any, value: dict[str, str]) -> dict[str, str]:
    for path in paths:
        if not re.fullmatch(AbsolutePath, path):
            raise ValueError(f"{what} path {path!r} must be an absolute container path (e.g. /data)")
    return value


def swarm_problems(args: AppArgs) -> list[Problem]:
    """What ``runtime.target`` needs of an app: one task on one host; on Swarm, what its tasks can do."""
    if args.runtime.target == "host":
        return targets.one_replica("replicas", args.replicas)
    joined = args.network_ids is not None and len(args.network_ids) == len(args.networks)  # one id per network
    problems = [
        *(targets.registry("registry", args.registry) if args.build is not None else []),
        *targets.network_ids({"network_ids": args.network_ids if joined else None}),
        *targets.no_sources("source_mounts", bool(args.source_mounts), off="empty"),
        *targets.no_pinned_release("release.pin", args.release.pin),
    ]
    if args.working_dir is not None:
        problems.append(Problem("working_dir", "is not supported on swarm yet"))
    if args.secrets and args.secrets_path != "/run/secrets":
        problems.append(
            Problem("secrets_path", f"({args.secrets_path}) must be /run/secrets on swarm, where Docker mounts secrets")
        )
    return problems


def check_swarm(name: str, args: AppArgs) -> None:
    """What Swarm needs of an app, refused before anything is registered, every problem at once."""
    refuse(name, swarm_problems(args))


def env_wrapper(secrets_path: str, names: Sequence[str]) -> str:
    """The exec wrapper: exports each secret file as a variable, then replaces itself with the app."""
    lines = ["#!/bin/sh", "# standard-stack: the app's secrets as its environment, read from their files at start", "set -eu"]
    for key in sorted(names):
        lines += [f"{key}=\"$(cat '{secrets_path}/{key}')\"", f"export {key}"]
    return "\n".join([*lines, 'exec "$@"', ""])


class App(pulumi.ComponentResource):
    """One app from any image, replaced create-first (one host) or by a start-first rolling update (Swarm).

    Outputs: ``url`` (internal ``http://<alias>:<port>``; None without a port), ``image_name``,
    ``image_digest`` (what the container runs), ``container_name`` (on swarm: the service's name),
    ``release`` (the running release's tag; None for a pulled image), ``releases`` (kept on the host,
    newest first). Attributes: ``alias``, ``port``, ``proxy_host`` (what a proxy route names),
    ``upstream`` (the reverse proxy's input: this very container, so the proxy is switched to a
    replacement before the old one goes; None on swarm or without a port), ``job`` (the one-shot
    container, if any), ``container``.
    """

    def __init__(
        self,
        name: str,
        args: AppArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        type_: str = "standard-stack:index:App",
    ) -> None:
        """``type_``: presets (PythonApi, NextApp) register under their own type, so their URNs stay."""
        check_swarm(name, args)
        super().__init__(type_, name, None, opts)
        runtime = args.runtime
        self.aliases = args.aliases if args.aliases is not None else [name]
        self.alias, self.port = (self.aliases[0] if self.aliases else name), args.port
        self.proxy_host = self.alias if runtime.target == "host" else f"tasks.{runtime.prefix}-{name}"
        self._image(name, args)
        self.job: docker.Container | None = None
        if args.runtime.target == "swarm":
            self._publish(args, self._on_swarm(name, args))
        else:
            self._publish(args, self._on_host(name, args))

    # --- the image ---------------------------------------------------------------------------------
    def _image(self, name: str, args: AppArgs) -> None:
        if args.build is not None:
            self.release: Release | None = Release(
                name, runtime=args.runtime, service=name, build=args.build, registry=args.registry, args=args.release, parent=self
            )
            self.image = self.release.image  # None when a release is pinned: nothing is built
            self.image_digest: pulumi.Output[str] = self.release.reference
            # known once the image exists: a Worker given this name runs the image built here, never before
            self.image_name = pulumi.Output.all(self.release.image_name, self.image_digest).apply(lambda values: str(values[0]))
            self._uses_image: list[Any] = list(self.release.depends_on)
        else:
            assert args.image is not None  # AppArgs._consistent
            self.release, self.image = None, None
            pulled = pulled_image(name, runtime=args.runtime, reference=args.image, parent=self)
            # one host runs the pulled image by id; Swarm nodes pull it by reference
            self.image_digest = pulled.image_id if args.runtime.target == "host" else pulumi.Output.from_input(args.image)
            self.image_name = pulumi.Output.from_input(args.image)
            self._uses_image = [pulled]
        if args.secrets_as_env and args.env_wrapper == "static":
            self._derive_with_env_exec(name, args)

    def _derive_with_env_exec(self, name: str, args: AppArgs) -> None:
        """Containers run the app's image plus the static wrapper; ``image_name`` stays the app's own image.

        The derived image is content-tagged like a release: its tag follows the app image's tag (a
        content tag, or the pulled reference), so it is rebuilt exactly when the app's image changes.
        A resource named after the tag holds it (``releases.held_image``): when the app moves to another
        image, the old one is no longer declared and Pulumi removes its tag after the containers that
        ran it. Only the running one is kept: a rollback to a kept release derives again (a cached build)."""
        base = self.release.image_name if self.release is not None else args.image
        assert isinstance(base, str)  # AppArgs._consistent
        # relative to the program, as the app's own context: the same layout previews the same everywhere
        build = ImageBuild(context=os.path.relpath(ENV_EXEC_SOURCE), args={"BASE": base, "GO_VERSION": versions.GO})
        tag = release_tag(args.runtime, build)
        derived = build_image(
            f"{name}-env-exec",
            runtime=args.runtime,
            service=f"{name}-env-exec",
            build=build,
            registry=args.registry,
            parent=self,
            tag=tag,
            depends_on=[*self._uses_image, *args.depends_on],
        )
        held = held_image(
            f"{name}-env-exec-release-{tag}",
            reference=derived.image_name,
            runtime=args.runtime,
            parent=self,
            depends_on=[derived],
        )
        self.image_digest = derived.repo_digest
        self._uses_image = [*self._uses_image, derived, held]

    # --- what both targets share -------------------------------------------------------------------
    def _files(self, args: AppArgs) -> dict[str, pulumi.Input[str]]:
        files: dict[str, pulumi.Input[str]] = {key: pulumi.Output.secret(value) for key, value in args.secrets.items()}
        if args.secrets_as_env and args.env_wrapper == "sh":
            files[ENV_WRAPPER] = env_wrapper(args.secrets_path, self._env_secret_names(args))
        return files

    def _env_secret_names(self, args: AppArgs) -> list[str]:
        """The secrets ``secrets_as_env`` sets as variables: every one (a preset keeps its own files out)."""
        return sorted(args.secrets)

    def _entrypoint(self, args: AppArgs) -> list[str] | None:
        directory = args.secrets_path.rstrip("/")
        if args.secrets_as_env and args.env_wrapper == "static":
            pairs = [f"{key}={directory}/{key}" for key in self._env_secret_names(args)]
            return [ENV_EXEC, *pairs, "--", *(args.entrypoint or [])]
        if args.secrets_as_env:
            return ["/bin/sh", f"{directory}/{ENV_WRAPPER}", *(args.entrypoint or [])]
        return args.entrypoint

    def _loader_entrypoint(self, args: AppArgs) -> list[str]:
        """What the file loader runs: the image may have no ``true`` (scratch), the derived one has the wrapper."""
        return [ENV_EXEC, "--check"] if args.secrets_as_env and args.env_wrapper == "static" else ["true"]

    def _file_bundle(self, service: str, args: AppArgs, files: dict[str, pulumi.Input[str]]) -> FileBundle:
        """``service``'s secret files in a volume, loaded by the app's own image (``_loader_entrypoint``)."""
        return FileBundle(
            f"{service}-secrets",
            runtime=args.runtime,
            service=service,
            image=self.image_digest,
            mount_path=args.secrets_path,
            files=files,
            parent=self,
            depends_on=self._uses_image,
            loader_entrypoint=self._loader_entrypoint(args),
        )

    def _runtime(self, args: AppArgs) -> Runtime:
        if args.stop_grace_seconds is None:
            return args.runtime
        return args.runtime.model_copy(update={"stop_grace_seconds": args.stop_grace_seconds})

    def _health(self, args: AppArgs) -> docker.ContainerHealthcheckArgs | None:
        return args.health.docker_args(args.port) if args.health is not None else None

    def _spec(self, name: str, args: AppArgs) -> ServiceSpec:
        return ServiceSpec(
            runtime=self._runtime(args),
            service=name,
            component=args.component,
            image=self.image_digest,
            resources=args.resources,
            health=self._health(args),
        )

    def _run_job(
        self, name: str, args: AppArgs, *, volumes: list[docker.ContainerVolumeArgs], after: Sequence[Any], what_waits: str
    ) -> pulumi.Output[str] | None:
        """The one-shot job (a container on the host, or on the Swarm manager); the output to depend on."""
        job = args.job
        if job is None:
            return None
        kwargs: dict[str, Any] = {}
        entrypoint = self._entrypoint(args)
        if entrypoint is not None:
            kwargs["entrypoints"] = entrypoint
        if args.working_dir is not None:
            kwargs["working_dir"] = args.working_dir
        if args.user is not None:
            kwargs["user"] = args.user
        kwargs.update(_group_for_secrets(args))
        self.job = one_shot_job(
            f"{name}-{job.name}",
            runtime=args.runtime,
            service=f"{name}-{job.name}",
            component=job.component or f"{args.component}-{job.name}",
            image=self.image_digest,
            command=job.command,
            envs=_env_list(args.env) or None,
            tmpfs=job.tmpfs,
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=n) for n in (job.networks or args.networks)],
            volumes=volumes or None,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*after, *self._uses_image, *(args.depends_on if job.depends_on is None else job.depends_on)],
            ),
            **kwargs,
        )
        return job_succeeded(self.job, name=name, what=job.what, consequence=f"{name} was not {what_waits}")

    # --- one Docker host ---------------------------------------------------------------------------
    def _on_host(self, name: str, args: AppArgs) -> docker.Container:
        runtime = args.runtime
        files = self._files(args)
        bundle = self._file_bundle(name, args, files) if files else None
        volumes = [bundle.mount()] if bundle is not None else []
        ran = self._run_job(name, args, volumes=list(volumes), after=[bundle.loader] if bundle else [], what_waits="started")
        volumes += [source_mount(host, path) for host, path in args.source_mounts.items()]
        for volume, path in args.volumes.items():
            data = data_volume(volume, runtime=runtime, component=args.component, protect=args.protect_data, parent=self)
            volumes.append(docker.ContainerVolumeArgs(volume_name=data.name, container_path=path))
        labels: dict[str, pulumi.Input[str]] = {}
        if bundle is not None:
            labels["dev.standard-stack.files-revision"] = bundle.revision
        if ran is not None:
            labels["dev.standard-stack.migrated"] = ran
        kwargs = _optional(
            entrypoints=self._entrypoint(args),
            command=args.command,
            user=args.user,
            working_dir=args.working_dir,
            stop_signal=args.stop_signal,
            read_only=args.read_only or None,
            tmpfs=args.tmpfs or None,
            volumes=volumes or None,
        )
        kwargs.update(_group_for_secrets(args))
        envs = _env_list(args.env)
        if envs:
            kwargs["envs"] = envs
        first = [self.job] if self.job is not None else []
        return service_container(
            name,
            self._spec(name, args),
            networks=[docker.ContainerNetworksAdvancedArgs(name=n, aliases=self.aliases or None) for n in args.networks],
            extra_labels=labels or None,
            init=args.init,
            # no fixed name: a new container starts and turns healthy before the old one is removed
            opts=pulumi.ResourceOptions(
                parent=self,
                delete_before_replace=False,
                depends_on=[*first, *([bundle.loader] if bundle else []), *self._uses_image, *args.depends_on],
            ),
            **kwargs,
        )

    # --- a Swarm ---------------------------------------------------------------------------------------
    def _on_swarm(self, name: str, args: AppArgs) -> docker.Service:
        """The job stays a container on the manager (Swarm has no job the provider waits for, see
        ``_swarm``), its files through a FileBundle there; the service's files are Docker secrets."""
        runtime = args.runtime
        files = self._files(args)
        volumes: list[docker.ContainerVolumeArgs] = []
        after: list[Any] = []
        if args.job is not None and files:
            job_files = self._file_bundle(f"{name}-{args.job.name}", args, files)
            volumes, after = [job_files.mount()], [job_files.loader]
        ran = self._run_job(name, args, volumes=volumes, after=after, what_waits="updated")
        assert args.network_ids is not None  # check_swarm
        mounts = [
            volume_mount(f"{runtime.prefix}-{volume}-data", path, runtime=runtime, service=name, component=args.component)
            for volume, path in args.volumes.items()
        ]
        return swarm_service(
            name,
            self._spec(name, args),
            networks=[TaskNetwork(id=i, aliases=self.aliases) for i in args.network_ids],
            replicas=args.replicas,
            envs={key: pulumi.Output.from_input(value).apply(str) for key, value in args.env.items()},
            secrets=secret_files(name, runtime=runtime, service=name, files=files, parent=self) if files else (),
            mounts=mounts,
            stop_signal=args.stop_signal,
            command=self._entrypoint(args),
            args=args.command,
            user=args.user,
            groups=_group_for_secrets(args).get("group_adds", ()),
            read_only=args.read_only,
            tmpfs=args.tmpfs,
            init=args.init,
            extra_labels={"dev.standard-stack.migrated": ran} if ran is not None else None,
            # a service is updated in place (a rolling update); only a new name or mode replaces it,
            # and its fixed name must be free first
            opts=pulumi.ResourceOptions(
                parent=self,
                delete_before_replace=True,
                depends_on=[*([self.job] if self.job is not None else []), *self._uses_image, *args.depends_on],
            ),
        )

    def _publish(self, args: AppArgs, container: docker.Container | docker.Service) -> None:
        self.container = container
        self.upstream: Upstream | None = (
            container_upstream(container, args.networks[0])
            if isinstance(container, docker.Container) and args.port is not None
            else None
        )
        self.url = pulumi.Output.from_input(f"http://{self.alias}:{args.port}") if args.port is not None else None
        self.container_name = container.name
        self.releases = self.release.kept if self.release is not None else pulumi.Output.from_input([])
        self.register_outputs(
            {
                "url": self.url,
                "image_name": self.image_name,
                "image_digest": self.image_digest,
                "container_name": self.container_name,
                "release": self.release.tag if self.release is not None else None,
                "releases": self.releases,
            }
        )


class WorkerArgs(AppArgs):
    """An app without a port (a queue consumer): health by command, or none.

    Stopped with SIGTERM and a grace of 60 s by default: a Celery worker's warm shutdown finishes the
    tasks it holds before exiting, and a replacement starts before the old worker is stopped.
    """

    stop_signal: str | None = Field("SIGTERM", pattern=r"^(SIG[A-Z0-9]+|[0-9]+)$", description="Starts a warm shutdown.")
    stop_grace_seconds: int | None = Field(60, ge=0, le=3600, description="Time to finish running tasks before a kill.")
    component: str = Field("worker", pattern=r"^[a-z0-9][a-z0-9-]*$", description="The component label policies key on.")

    @model_validator(mode="after")
    def _no_port(self) -> WorkerArgs:
        if self.port is not None:
            raise ValueError(f"port ({self.port}) must be None for a worker: it serves nothing (use App)")
        return self


class Worker(App):
    """The same description as ``App`` without a port (``url`` and ``upstream`` are None)."""

    def __init__(self, name: str, args: WorkerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts, type_="standard-stack:index:Worker")


def _env_list(env: Mapping[str, InputStr]) -> list[pulumi.Output[str]]:
    """``KEY=value`` for a container, in the order given."""
    return [pulumi.Output.concat(key, "=", pulumi.Output.from_input(value).apply(str)) for key, value in env.items()]


def _optional(**values: Any) -> dict[str, Any]:
    """Only the inputs that are set: an unset one stays the image's (and out of the registered inputs)."""
    return {key: value for key, value in values.items() if value is not None}


def _group_for_secrets(args: AppArgs) -> dict[str, Any]:
    """The secret files are root-owned 0440; a user whose group is not 0 reads them as a member of group 0
    (``group_adds`` of a container, ``groups`` of a Swarm task: Docker's ``--group-add``)."""
    if args.secrets and not (args.user or "").endswith(":0"):
        return {"group_adds": ["0"]}
    return {}
