"""ACME through the real CLI against a local ACME server (Debian's pebble): issuance, chain, renewal in place.

The prod stack is deployed as ``prod-acme`` (its own Docker names, ports 2859x) with ``proxy.acme``
pointing at ``https://pebble:14000/dir``. pebble runs in a container this module starts on the
stack's frontend network under the alias ``pebble``; its validation authority resolves the server
name to the proxy (``--add-host``) and fetches the HTTP-01 token from the proxy's port 8080, so the
challenge really goes through nginx and the ACME volume's webroot. Nothing leaves the machine.

pebble is started after the first ``pulumi up`` (the network is the stack's): until then the proxy
serves the self-signed placeholder and the ACME client retries on its own.
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import engine_api
import pytest
from deploy import HERE, Deployment
from stack import docker_exec, service_containers, wait_until

pytestmark = pytest.mark.e2e

STACK = "prod-acme"
DOMAIN = "shop.acme-e2e.test"
HTTP_PORT, HTTPS_PORT, PEBBLE_MANAGEMENT_PORT = 28591, 28592, 28593
PEBBLE_IMAGE = "standard-stack-e2e-pebble:local"
PEBBLE_CONTAINER = "standard-stack-prod-acme-e2e-pebble"


def pebble_tls(tmp: Path) -> tuple[Path, str]:
    """pebble's own HTTPS key pair, for the name ``pebble``; the certificate is the ACME client's trust anchor."""
    directory = tmp / "pebble"
    directory.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=pebble", "-addext", "subjectAltName=DNS:pebble",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    config = {
        "pebble": {
            "listenAddress": "0.0.0.0:14000",
            "managementListenAddress": "0.0.0.0:15000",
            "certificate": "/pebble/cert.pem",
            "privateKey": "/pebble/key.pem",
            "httpPort": 8080,  # the proxy's HTTP port inside the network: the challenge goes through nginx
            "tlsPort": 8443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (directory / "pebble-config.json").write_text(json.dumps(config))
    directory.chmod(0o755)
    for path in directory.iterdir():
        path.chmod(0o644)  # a throwaway test key, read by pebble's unprivileged user
    return directory, (directory / "cert.pem").read_text()


@pytest.fixture(scope="module")
def acme(toolchain, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("acme")
    pebble_dir, pebble_cert = pebble_tls(tmp)
    build = engine_api.cli("build", "-q", "-t", PEBBLE_IMAGE, str(HERE / "pebble"), env={"DOCKER_BUILDKIT": "1"}, timeout=900)
    assert build.returncode == 0, build.stderr
    run = Deployment(
        "prod",
        tmp,
        name=STACK,
        overrides={
            "publicUrl": f"https://{DOMAIN}:{HTTPS_PORT}",
            "proxy": {
                "httpPort": HTTP_PORT,
                "httpsPort": HTTPS_PORT,
                "serverName": DOMAIN,
                "acme": {
                    "enabled": True,
                    "directoryUrl": "https://pebble:14000/dir",
                    "caCertificate": pebble_cert,
                    "checkIntervalMinutes": 1,
                },
            },
        },
        secrets_={"postgresPassword": secrets.token_urlsafe(18), "redisPassword": secrets.token_urlsafe(18)},
    )
    run.pebble_dir = pebble_dir
    try:
        run.first = run.up()
        yield run
    finally:
        engine_api.cli("rm", "-f", PEBBLE_CONTAINER)
        run.teardown()


def served_certificate(path: str = "/healthz", cafile: str | None = None) -> tuple[int, bytes]:
    """GET ``path`` over TLS from the published port with SNI and Host = DOMAIN: (status, served leaf, DER)."""
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    with (
        socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=DOMAIN) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n".encode())
        status_line = tls.recv(64).split(b"\r\n", 1)[0].decode()
        return int(status_line.split()[1]), tls.getpeercert(binary_form=True)


def is_self_signed(der: bytes) -> bool:
    text = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-issuer"], input=der, capture_output=True, check=True
    ).stdout.decode()
    subject, issuer = (line.split("=", 1)[1].strip() for line in text.splitlines())
    return subject == issuer


def start_pebble(run: Deployment) -> None:
    proxy = service_containers(STACK)["proxy"]
    network = next(n for n in proxy["NetworkSettings"]["Networks"] if n.endswith("-frontend"))
    proxy_ip = proxy["NetworkSettings"]["Networks"][network]["IPAddress"]
    started = engine_api.cli(
        "run", "-d", "--name", PEBBLE_CONTAINER, "--network", network, "--network-alias", "pebble",
        "--add-host", f"{DOMAIN}:{proxy_ip}",
        "-e", "PEBBLE_VA_NOSLEEP=1", "-e", "PEBBLE_WFE_NONCEREJECT=0",
        "-p", f"127.0.0.1:{PEBBLE_MANAGEMENT_PORT}:15000",
        "-v", f"{run.pebble_dir}:/pebble:ro", PEBBLE_IMAGE, "-config", "/pebble/pebble-config.json",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr


def pebble_root(run: Deployment) -> Path:
    """The root pebble signs with (generated at its start), from its management interface."""
    context = ssl.create_default_context(cafile=str(run.pebble_dir / "cert.pem"))
    context.check_hostname = False  # reached by address; the certificate names "pebble"
    import urllib.request

    with urllib.request.urlopen(f"https://127.0.0.1:{PEBBLE_MANAGEMENT_PORT}/roots/0", context=context, timeout=10) as resp:
        pem = resp.read().decode()
    path = run.tmp / "pebble-root.pem"
    path.write_text(pem)
    return path


def test_before_the_acme_server_answers_the_proxy_serves_a_self_signed_placeholder(acme):
    acme.expect_no_changes()
    status, der = served_certificate()
    assert status == 200
    assert is_self_signed(der)


def test_first_issuance_serves_a_certificate_that_verifies_to_pebbles_root(acme):
    proxy_before = service_containers(STACK)["proxy"]["Id"]
    start_pebble(acme)
    root = wait_until(lambda: pebble_root(acme), 60, "pebble's management interface")

    def verified():
        return served_certificate(cafile=str(root))  # raises until the chain verifies for DOMAIN

    status, der = wait_until(verified, 180, "the proxy serving a certificate issued by pebble", interval=2)
    assert status == 200 and not is_self_signed(der)
    assert service_containers(STACK)["proxy"]["Id"] == proxy_before  # reloaded in place, never replaced
    acme.expect_no_changes()


def test_the_account_key_and_certificates_are_on_a_volume_only_the_acme_user_writes(acme):
    client = service_containers(STACK)["proxy-acme"]
    listing = docker_exec(client["Id"], "stat", "-c", "%n|%a %u:%g", "/etc/nginx/acme", "/etc/nginx/acme/certbot",
                          "/etc/nginx/acme/current/privkey.pem")  # fmt: skip
    modes = dict(line.split("|", 1) for line in listing.stdout.splitlines())
    assert modes == {  # the ACME user (1101) writes; nginx (101:0) reads the current pair through group 0
        "/etc/nginx/acme": "750 1101:0",
        "/etc/nginx/acme/certbot": "700 1101:0",
        "/etc/nginx/acme/current/privkey.pem": "640 1101:0",
    }, listing.stdout + listing.stderr
    volume = next(m for m in client["Mounts"] if m["Destination"] == "/etc/nginx/acme")["Name"]
    resources = acme.stack.export_stack().deployment["resources"]
    state = next(r for r in resources if r["type"] == "docker:index/volume:Volume" and r["outputs"].get("name") == volume)
    assert state.get("protect") is True and state.get("retainOnDelete") is True


def test_a_forced_renewal_changes_the_served_certificate_without_a_failed_request(acme):
    root = str(acme.tmp / "pebble-root.pem")
    proxy_before = service_containers(STACK)["proxy"]["Id"]
    _, before = served_certificate(cafile=root)
    failures: list[str] = []
    total = 0
    stop = threading.Event()

    def loop():
        nonlocal total
        while not stop.is_set():
            for path in ("/healthz", "/", "/api/health"):
                total += 1
                try:
                    status, _ = served_certificate(path, cafile=root)
                    if status != 200:
                        failures.append(f"{path} -> {status}")
                except Exception as exc:  # a refused connection or a failed handshake is a failed request
                    failures.append(f"{path} -> {exc!r}")
            stop.wait(0.05)

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    time.sleep(1)
    renewal = docker_exec(service_containers(STACK)["proxy-acme"]["Id"], "acme-client", "renew", "--force")
    time.sleep(2)
    stop.set()
    worker.join(timeout=30)
    print(f"\nrequests during the forced renewal: {total}, failed: {len(failures)}")
    assert renewal.returncode == 0, renewal.stderr[-3000:]
    _, after = served_certificate(cafile=root)
    assert after != before
    assert service_containers(STACK)["proxy"]["Id"] == proxy_before
    assert total > 20
    assert failures == [], f"{len(failures)} of {total} requests failed: {failures[:10]}"
    acme.expect_no_changes()


def test_a_renewal_before_the_window_changes_nothing(acme):
    root = str(acme.tmp / "pebble-root.pem")
    _, before = served_certificate(cafile=root)
    check = docker_exec(service_containers(STACK)["proxy-acme"]["Id"], "acme-client", "renew")
    assert check.returncode == 0 and "not due" in check.stderr, check.stderr[-2000:]
    assert served_certificate(cafile=root)[1] == before


def test_nginx_s_processes_see_neither_the_acme_client_nor_its_writable_volume(acme):
    """A compromised nginx worker (uid 101) once reached the client's read-write mount through
    /proc/<pid>/root: the client shared its uid and PID namespace."""
    proxy = service_containers(STACK)["proxy"]["Id"]
    processes = docker_exec(proxy, "sh", "-c", "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' <$f; echo; done")
    assert "nginx: master process" in processes.stdout, processes.stderr
    assert "acme-client" not in processes.stdout and "certbot" not in processes.stdout, processes.stdout
    client = service_containers(STACK)["proxy-acme"]
    assert client["HostConfig"]["PidMode"] == "" and client["Config"]["User"] == "1101:0"


def test_the_acme_client_stops_cleanly_and_starts_again_with_its_reloader_in_the_proxy_pid_namespace(acme):
    client = service_containers(STACK)["proxy-acme"]
    engine_api.post_json(f"/containers/{client['Id']}/stop", query={"t": 20}, timeout=60)
    assert engine_api.inspect("containers", client["Id"])["State"]["ExitCode"] == 0
    engine_api.post_json(f"/containers/{client['Id']}/start")
    wait_until(
        lambda: engine_api.inspect("containers", client["Id"])["State"].get("Health", {}).get("Status") == "healthy",
        60,
        "the ACME client healthy again",
    )
    services = service_containers(STACK)
    assert services["proxy-acme-reload"]["HostConfig"]["PidMode"] == f"container:{services['proxy']['Id']}"


def test_a_replaced_proxy_serves_the_issued_certificate_from_the_volume_with_its_client_beside_it(acme):
    root = str(acme.tmp / "pebble-root.pem")
    _, before = served_certificate(cafile=root)
    old_proxy = service_containers(STACK)["proxy"]["Id"]
    outcome = acme.up(replace=["proxy"])
    assert "create-replacement" in outcome.ops_of("proxy")
    services = service_containers(STACK)
    assert services["proxy"]["Id"] != old_proxy
    assert services["proxy-acme-reload"]["HostConfig"]["PidMode"] == f"container:{services['proxy']['Id']}"
    assert services["proxy-acme"]["State"]["Health"]["Status"] == "healthy"
    assert served_certificate(cafile=root)[1] == before  # no new issuance: the certificate was kept
    acme.expect_no_changes()
