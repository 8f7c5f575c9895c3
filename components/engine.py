"""What the Docker engine behind a stack accepts: its Engine API version, and Go's spelling of durations.

Health checks' ``start_interval`` (probe often during the start period, so a service is seen healthy
within about one start interval of being ready) exists from Engine API 1.44 (Docker 25) on, and both
ends gate it on that version:

- the Docker client the provider is built with refuses it against an older engine
  (moby client/container_create.go, ``ContainerCreate``: ``NewVersionError(ctx, "1.44", "specify
  health-check start interval")``), so a 20.10 engine (API 1.41) fails the create;
- the engine drops it from a request of an older API version (moby
  api/server/router/container/container_routes.go, ``postContainersCreate``: "StartInterval was added
  in API 1.44"; the same for services in api/server/router/swarm/helpers.go).

The provider sends it parsed by Go's ``time.ParseDuration`` and reads it back as
``StartInterval.String()`` (kreuzwerker/terraform-provider-docker,
internal/provider/resource_docker_container_funcs.go: ``config.Healthcheck.StartInterval`` on create,
``container.Config.Healthcheck.StartInterval.String()`` in ``resourceDockerContainerRead``), so a
value sent in any other spelling (``60s`` comes back ``1m0s``) shows a diff on every preview:
``go_duration`` gives the spelling the engine reads back.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import IO, Annotated, Any
from urllib.parse import urlparse

from pydantic import AfterValidator, Field

from . import versions

DEFAULT_HOST = "unix:///var/run/docker.sock"
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
MINIMUM_NS = 10**6
"""The engine's floor for every health-check duration (moby daemon/container.go: ``MinimumDuration``, 1 ms)."""
DURATION_FORM = "a Go duration of at least 1ms such as 1s, 500ms or 1m30s"


def parse_go_duration(text: str) -> int:
    """Nanoseconds of a positive Go duration (``time.ParseDuration``'s syntax); ValueError naming the form."""
    terms = list(_TERM.finditer(text))
    if not text or "".join(t.group(0) for t in terms) != text:
        raise ValueError(f"{text!r} is not {DURATION_FORM}")
    total = sum(Fraction(t.group(1)) * _UNITS[t.group(2)] for t in terms)
    if total < MINIMUM_NS:
        raise ValueError(f"{text!r} is below 1ms: the engine refuses shorter health-check durations; use {DURATION_FORM}")
    return int(total)  # Go truncates below a nanosecond


def _fraction(value: int, digits: int) -> str:
    """``value`` units of 10^-digits as Go prints it: the whole part, then the fraction without trailing zeros."""
    whole, rest = divmod(value, 10**digits)
    decimals = f"{rest:0{digits}d}".rstrip("0") if rest else ""
    return f"{whole}.{decimals}" if decimals else str(whole)


def go_string(ns: int) -> str:
    """Go's ``time.Duration.String()`` of ``ns`` nanoseconds (``1m0s``, ``1.5s``, ``500ms``)."""
    if ns == 0:
        return "0s"
    if ns < 10**3:
        return f"{ns}ns"
    if ns < 10**6:
        return f"{_fraction(ns, 3)}µs"
    if ns < 10**9:
        return f"{_fraction(ns, 6)}ms"
    seconds = _fraction(ns % (60 * 10**9), 9) + "s"
    minutes, hours = (ns // (60 * 10**9)) % 60, ns // (3600 * 10**9)
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds


def go_duration(text: str) -> str:
    """``text`` in the spelling the engine reads back (``60s`` -> ``1m0s``); ValueError naming the form."""
    return go_string(parse_go_duration(text))


# a Docker host's platform: images are built and pulled for it
Platform = Annotated[
    str,
    Field(pattern=r"^linux/(amd64|arm64|arm/v7|arm/v6|386|ppc64le|s390x|riscv64)$", examples=["linux/amd64", "linux/arm64"]),
]
GoDuration = Annotated[str, AfterValidator(go_duration), Field(examples=["1s", "500ms", "1m30s"])]
"""A duration as the engine reads it back (Go's spelling: ``60s`` is kept as ``1m0s``), at least 1 ms."""


def api_at_least(version: str | None, minimum: str) -> bool:
    """True when ``version`` (``1.45``) is known and not older than ``minimum``."""
    if version is None:
        return False
    return tuple(int(p) for p in version.split(".")) >= tuple(int(p) for p in minimum.split("."))


def takes_start_interval(api_version: str | None) -> bool:
    return api_at_least(api_version, versions.START_INTERVAL_API)


def docker_host(configured: str | None = None) -> str:
    """The engine the docker provider talks to: its ``docker:host`` setting, else ``DOCKER_HOST``, else the local socket."""
    return configured or os.environ.get("DOCKER_HOST") or DEFAULT_HOST


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the engine's unix socket (the standard library speaks TCP only)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class SshConnection(http.client.HTTPConnection):
    """HTTP to the engine of an ``ssh://`` host through ``docker system dial-stdio`` there, as the docker CLI
    and the provider's ssh helper do (docker/cli cli/connhelper/connhelper.go and commandconn): ``ssh`` talks
    to one end of a socket pair, HTTP the other.

    Like that helper, ``ssh`` gets ``-o ConnectTimeout=30`` and ``-T`` unless the options set them, and a
    session of its own: with no terminal it cannot wait on a password or host-key prompt, it fails. When
    it exits before the engine answers, the error names the host, ssh's exit status and what it printed."""

    def __init__(self, url: str, timeout: float, options: Sequence[str] = ()) -> None:
        super().__init__("localhost", timeout=timeout)
        parsed = urlparse(url)
        if not parsed.hostname:
            raise ValueError(f"docker host {url!r}: an ssh:// address needs a host (ssh://user@host[:port][/socket path])")
        destination = f"{parsed.username}@{parsed.hostname}" if parsed.username else parsed.hostname
        self.address = f"ssh://{destination}" + (f":{parsed.port}" if parsed.port else "")
        defaults = [] if "ConnectTimeout" in "".join(options) else ["-o", "ConnectTimeout=30"]
        defaults += [] if "-T" in options else ["-T"]
        port = ["-p", str(parsed.port)] if parsed.port else []
        # ssh://host/path/to/docker.sock: the engine listens on that socket there (docker/cli cli/connhelper/connhelper.go)
        socket_there = [f"--host=unix://{parsed.path}"] if parsed.path.strip("/") else []
        docker = ["docker", *socket_there, "system", "dial-stdio"]
        self.command = ["ssh", *options, *defaults, *port, "--", destination, *docker]
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._reading = False

    def connect(self) -> None:
        self._stop()
        ours, theirs = socket.socketpair()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - ssh writes it while connected; _stop closes it
        try:
            self._process = subprocess.Popen(
                self.command, stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=self._stderr, start_new_session=True
            )
        except OSError as err:
            ours.close()
            raise ConnectionError(
                f"docker host {self.address}: cannot run ssh ({err.strerror}); install an OpenSSH client"
            ) from err
        finally:
            theirs.close()
        ours.settimeout(self.timeout)
        self.sock = ours

    def send(self, data: Any) -> None:
        if self.sock is None:
            self.connect()  # its own errors, before any byte went to ssh
        try:
            super().send(data)
        except OSError as err:
            raise self._failure(err) from err

    def getresponse(self) -> http.client.HTTPResponse:
        self._reading = True  # http.client closes the connection on a reset: ssh stays until _failure read it
        try:
            return super().getresponse()
        except (OSError, http.client.HTTPException) as err:
            raise self._failure(err) from err
        finally:
            self._reading = False

    def _failure(self, error: Exception) -> ConnectionError:
        """Why no answer came: ssh's exit status and stderr when it exited (the usual case: it closed its end)."""
        status = None
        if self._process is not None and not isinstance(error, TimeoutError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = self._process.wait(timeout=5)
        printed = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            printed = self._stderr.read()[-2000:].decode(errors="replace").strip()
        self._stop()
        if status is None:
            return ConnectionError(f"docker host {self.address}: no answer from the engine through ssh ({error})")
        return ConnectionError(
            f"docker host {self.address}: ssh exited with status {status} before the engine answered: "
            f"{printed or '(ssh printed nothing)'}. Check the address (ssh://user@host[:port]), docker:sshOpts (the "
            "ssh options), and that this user there has the docker CLI (18.09 or later) on its PATH and the engine's socket"
        )

    def _stop(self) -> None:
        """Ends ssh (SIGTERM, SIGKILL after 3 s, as commandconn does) and reaps it: no process or zombie stays."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def close(self) -> None:
        super().close()
        if not self._reading:
            self._stop()


def connection(
    host: str, timeout: float, cert_path: str | None = None, ssh_options: Sequence[str] = ()
) -> http.client.HTTPConnection:
    """An HTTP connection to the Engine API at ``host`` (``unix://``, ``tcp://``, ``ssh://``), as the docker
    client reads its environment: ``tcp://`` is TLS when ``DOCKER_TLS_VERIFY`` is set or ``cert_path`` given,
    with ``ca.pem``, ``cert.pem`` and ``key.pem`` from ``cert_path``, else ``DOCKER_CERT_PATH``, else ``~/.docker``;
    ``ssh://`` runs ``ssh`` with ``ssh_options`` first (the docker provider's ``sshOpts``)."""
    url = urlparse(host)
    if url.scheme == "unix":
        return UnixConnection(url.path, timeout)
    if url.scheme == "ssh":
        return SshConnection(host, timeout, ssh_options)
    if url.scheme == "tcp" and url.hostname:
        certs = cert_path or os.environ.get("DOCKER_CERT_PATH")
        if not (certs or os.environ.get("DOCKER_TLS_VERIFY")):
            return http.client.HTTPConnection(url.hostname, url.port or 2375, timeout=timeout)
        directory = Path(certs or Path.home() / ".docker")
        context = ssl.create_default_context(cafile=str(directory / "ca.pem"))
        context.load_cert_chain(str(directory / "cert.pem"), str(directory / "key.pem"))
        return http.client.HTTPSConnection(url.hostname, url.port or 2376, timeout=timeout, context=context)
    raise ValueError(f"docker host {host!r}: use unix:///path, tcp://host:port or ssh://user@host")


def api_version(host: str, timeout: float = 5.0) -> str | None:
    """The Engine API version the engine at ``host`` speaks (``GET /version``: ``ApiVersion``), or None
    when it is not asked (``ssh://``: no ssh session at every program start) or cannot be asked here: an address
    ``connection`` does not take, or no answer."""
    if urlparse(host).scheme == "ssh":
        return None
    try:
        connection_ = connection(host, timeout)
    except (OSError, ValueError):
        return None
    try:
        connection_.request("GET", "/version")
        response = connection_.getresponse()
        if response.status != 200:
            return None
        version = json.loads(response.read()).get("ApiVersion")
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection_.close()
    return version if isinstance(version, str) and re.fullmatch(r"\d+\.\d+", version) else None
