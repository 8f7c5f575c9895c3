"""A ``standard_stack.one_shot.OneShot`` registration read as the run it describes.

File loaders, password rotations, the nginx reload and the ACME init are one-shot runs: a dynamic resource
whose ``spec`` is an Engine API ``ContainerCreate`` body and whose ``files`` (path -> content) the provider
copies in as root-owned 0440 files before the start. The specs read them here, by the Engine API's names,
not by a ``docker.Container``'s inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.program import ONE_SHOT, RecordingMocks, Registered

__all__ = ["ONE_SHOT", "OneShotRun", "one_shot", "one_shots"]


@dataclass(frozen=True)
class OneShotRun:
    """What one run registered: its container's spec, its files and how a failure is told."""

    registered: Registered

    @property
    def name(self) -> str:
        return self.registered.name

    def prop(self, key: str, default: Any = None) -> Any:
        """A property with secret wrappers removed."""
        return self.registered.plain(key, default)

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.prop("spec"))

    @property
    def host_config(self) -> dict[str, Any]:
        return dict(self.spec["HostConfig"])

    @property
    def files(self) -> dict[str, str]:
        """Path -> content of the files copied in (root-owned 0440: the provider applies owner and mode)."""
        return dict(self.prop("files") or {})

    @property
    def files_are_secret(self) -> bool:
        return self.registered.is_secret("files")

    @property
    def image(self) -> str:
        return str(self.spec["Image"])

    @property
    def user(self) -> str:
        return str(self.spec["User"])

    @property
    def entrypoint(self) -> list[str] | None:
        return self.spec.get("Entrypoint")

    @property
    def command(self) -> list[str] | None:
        return self.spec.get("Cmd")

    @property
    def env(self) -> list[str]:
        return list(self.spec.get("Env") or [])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.spec.get("Labels") or {})

    @property
    def binds(self) -> list[str]:
        """``volume:/path:ro|rw`` as the Engine API takes them."""
        return list(self.host_config.get("Binds") or [])

    @property
    def mounts(self) -> dict[str, tuple[str, bool]]:
        """Container path -> (volume, read-only), from ``binds``."""
        out = {}
        for bind in self.binds:
            volume, path, mode = bind.rsplit(":", 2)
            assert mode in ("ro", "rw"), f"{self.name}: bind {bind!r} names no mode"
            out[path] = (volume, mode == "ro")
        return out

    @property
    def network_mode(self) -> str:
        return str(self.host_config["NetworkMode"])

    @property
    def pid_mode(self) -> str | None:
        return self.host_config.get("PidMode")

    @property
    def description(self) -> str:
        return str(self.prop("description"))

    @property
    def consequence(self) -> str:
        return str(self.prop("consequence"))


def one_shot(mocks: RecordingMocks, name: str) -> OneShotRun:
    """The one run registered as ``name``."""
    return OneShotRun(mocks.named(name, ONE_SHOT))


def one_shots(mocks: RecordingMocks) -> dict[str, OneShotRun]:
    """Every run, by resource name."""
    return {r.name: OneShotRun(r) for r in mocks.of_type(ONE_SHOT)}
