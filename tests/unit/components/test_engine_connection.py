"""How one-shot runs reach an ``ssh://`` engine: the command ``SshConnection`` runs (the runs themselves over a
real sshd: tests/e2e/test_one_shot.py)."""

from __future__ import annotations

from standard_stack.engine import SshConnection


def test_an_ssh_address_runs_docker_dial_stdio_there_after_the_options_and_with_its_port():
    command = SshConnection("ssh://deploy@db1:2222", 5.0, ["-i", "/keys/deploy"]).command
    assert command[:3] == ["ssh", "-i", "/keys/deploy"]
    assert command[command.index("--") - 2 :] == ["-p", "2222", "--", "deploy@db1", "docker", "system", "dial-stdio"]


def test_an_ssh_address_with_a_path_runs_docker_against_that_socket_there():
    command = SshConnection("ssh://deploy@db1/run/user/1000/docker.sock", 5.0).command
    assert command[command.index("--") + 1 :] == [
        "deploy@db1", "docker", "--host=unix:///run/user/1000/docker.sock", "system", "dial-stdio",
    ]  # fmt: skip
