"""Plain argument types every component shares: strict and camelCase models, limits, log rotation, runtime.

No Pulumi import at run time, so the stack file's checks (``stack_settings``) read these models without a
Pulumi program; ``_containers`` turns them into pulumi-docker inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from . import versions
from .engine import GoDuration, Platform
from .units import Cpus, Memory

if TYPE_CHECKING:
    import pulumi

    InputStr = pulumi.Input[str]
    InputInt = pulumi.Input[int]
else:  # pydantic cannot build validators for Output/Awaitable; values are passed through as given
    InputStr = Any
    InputInt = Any

RestartPolicy = Literal["no", "on-failure", "always", "unless-stopped"]
Target = Literal["host", "swarm"]
"""Where a stack runs: containers on one Docker host, or services on a Docker Swarm (``_swarm``)."""


class StrictModel(BaseModel):
    """Base for argument models: unknown fields are errors, Pulumi outputs are allowed as values."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class CamelModel(StrictModel):
    """Also readable from stack files, where keys are camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Resources(CamelModel):
    """Limits for one container. Unset means unlimited (fine for dev, refused in prod)."""

    memory: Memory | None = Field(None, description="Hard memory limit, e.g. 512Mi.")
    memory_reservation: Memory | None = Field(None, description="Soft memory reservation, e.g. 256Mi.")
    cpus: Cpus | None = Field(None, description="CPU limit, e.g. 0.5 or 1.5.")


class LogRotation(CamelModel):
    """json-file rotation: without it a chatty container fills the host's disk."""

    max_size: str = Field(
        "10m", pattern=r"^[0-9]+[kmg]$", examples=["10m", "100k", "1g"], description="Rotate at this size (10m, 1g)."
    )
    max_file: int = Field(3, ge=1, le=100, description="Rotated files kept.")

    def driver_options(self) -> dict[str, str]:
        """The json-file log driver's options, the same for a container and a Swarm task."""
        return {"max-size": self.max_size, "max-file": str(self.max_file)}


class Runtime(StrictModel):
    """Operational settings every long-running container of a stack shares."""

    project: str = "standard-stack"
    stack: str = "dev"
    restart: RestartPolicy = "unless-stopped"
    logging: LogRotation = LogRotation()
    stop_grace_seconds: int = Field(20, ge=0, le=600)
    platform: Platform = Field(
        "linux/amd64",
        description="Platform of the Docker host: images are built and pulled for it, whatever machine runs pulumi.",
    )
    target: Target = Field("host", description="host: containers on the engine; swarm: services on its Swarm.")
    health_start_interval: GoDuration | None = Field(
        versions.HEALTH_START_INTERVAL,
        description="Health probes this often during the start period (Go duration); None: never sent.",
    )
    engine_api_version: str | None = Field(
        None,
        pattern=r"^[0-9]+\.[0-9]+$",
        description="Engine API version of the Docker host (engine.api_version); None: unknown, nothing version-gated is sent.",
    )

    docker_host: str | None = Field(
        None,
        description="The engine one-shot runs go to when the program gives the docker provider its own host (a docker.Provider); "
        "None: docker:host, else DOCKER_HOST, else the local socket, as the default provider.",
    )

    @property
    def prefix(self) -> str:
        """Docker object names: unique per project and stack on one host."""
        return f"{self.project}-{self.stack}"


class Upstream(StrictModel):
    """The container a proxy route's network alias stands for now: its name and its address on the proxy's network."""

    host: InputStr = Field(description="Container name (Docker's DNS resolves it, also after a restart).")
    address: InputStr = Field(description="IPv4 address on the proxy's network when it was deployed.")


class ImageBuild(StrictModel):
    """Where an app image comes from; point it at your own app to reuse a component."""

    context: str = Field(description="Build context, relative to the program's working directory.")
    dockerfile: str | None = Field(
        None, description="Relative to the working directory (not the context); default <context>/Dockerfile."
    )
    target: str | None = Field(None, description="Build stage; None builds the Dockerfile's last (production) stage.")
    args: dict[str, str] = Field(default_factory=dict, description="Build arguments.")
