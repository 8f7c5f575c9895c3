"""A throwaway OpenSSH server on loopback, the "remote host" of an ``ssh://`` engine address.

Debian's sshd (openssh-server; scripts/test installs it) in the foreground on 127.0.0.1 and a free port,
with a host key, a client key and a config of its own in a temporary directory: it reads nothing of the
machine's /etc/ssh or ~/.ssh, and the client options it hands out check its host key
(``known_hosts``) and offer only its client key. Its sessions do not inherit the tests' environment, so
``SetEnv DOCKER_HOST`` points their ``docker system dial-stdio`` at the engine the tests read back from
(the engine lab's socket in the e2e tier, where ``/var/run/docker.sock`` is the host's engine).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself, so it must be started by its absolute path
PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd refuses to start as root without it (systemd makes it)
INSTALL = "apt-get install openssh-server openssh-client (scripts/test e2e installs them)"


@dataclass(frozen=True)
class Sshd:
    user: str
    port: int
    ssh_options: list[str]  # what docker:sshOpts would hold: this server's host key, the client key, no prompt

    @property
    def address(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"


def missing_binaries() -> list[str]:
    return [b for b in (SSHD, "ssh", "ssh-keygen") if shutil.which(b) is None]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _listening(port: int, sshd: subprocess.Popen[bytes], log: Path) -> bool:
    """True once sshd logged that it listens (``-e``: its log on stderr); raises when it exited instead."""
    if sshd.poll() is not None:
        raise RuntimeError(f"sshd exited with status {sshd.returncode}")
    return f"Server listening on 127.0.0.1 port {port}." in log.read_text()


@contextmanager
def loopback_sshd(directory: Path, docker_host: str) -> Iterator[Sshd]:
    """sshd on 127.0.0.1 for the current user, key login only, its sessions' ``DOCKER_HOST`` set; stopped after."""
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    host_key = _keygen(directory / "host_key")
    (directory / "authorized_keys").write_text(_keygen(directory / "client_key") + "\n")
    port = free_port()
    (directory / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key}\n")
    config = directory / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {directory / 'host_key'}\n"
        "PidFile none\n"
        f"AuthorizedKeysFile {directory / 'authorized_keys'}\n"
        # the temporary directory is under /tmp (world-writable): StrictModes would refuse the key file there
        "StrictModes no\n"
        f"AllowUsers {user}\n"
        "PermitRootLogin prohibit-password\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        f"SetEnv DOCKER_HOST={docker_host}\n"
    )
    log = directory / "sshd.log"
    with log.open("wb") as output:
        server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while not _listening(port, server, log):
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not listen on 127.0.0.1:{port} within 15 s")
            time.sleep(0.1)
    except RuntimeError as err:
        server.kill()
        server.wait()
        raise RuntimeError(f"{err}; its log:\n{log.read_text()}") from None
    options = [
        "-F", "/dev/null",
        "-i", str(directory / "client_key"),
        "-o", "IdentitiesOnly=yes",
        "-o", f"UserKnownHostsFile={directory / 'known_hosts'}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
    ]  # fmt: skip
    try:
        yield Sshd(user, port, options)
    finally:
        server.terminate()
        server.wait(timeout=10)
        print(f"--- sshd on 127.0.0.1:{port} ---\n{log.read_text()}")  # shown with a failing test's output
