"""Certificates for the reverse proxy over ACME HTTP-01, renewed beside it with no replacement.

Four containers around one protected volume (``<stack>-<proxy>-acme-data``):

* ``<proxy>-acme-init`` (one-shot, before the proxy): the volume's layout, owned by the ACME user and
  readable by nginx's group, and, while no certificate has been issued, a self-signed placeholder,
  because nginx needs a certificate to start and must run to answer the CA's challenge. It runs as
  root with CHOWN, DAC_OVERRIDE and FOWNER only, to hand a volume an older version wrote as the
  nginx user (101) over to the ACME user.
* the proxy mounts the volume read-only at ``/etc/nginx/acme``: it serves ``current/`` and answers
  ``/.well-known/acme-challenge/`` over HTTP from ``webroot/``.
* ``<proxy>-acme`` (long-running): certbot obtains the certificate, renews it before expiry and
  installs it in ``current/``. It runs as its own user (1101) in its own PID namespace: an nginx
  worker (uid 101) can neither signal it nor reach its writable mount through ``/proc/<pid>/root``,
  and cannot write the certificate, the key or the ACME account key (``certbot/`` is 0700).
* ``<proxy>-acme-reload`` (long-running, no network, the volume read-only): in the proxy's PID
  namespace as the nginx user, it watches ``current/installed`` and reloads nginx in place when the
  client installs a certificate (nginx-reload --watch): no new proxy container, no dropped connection.
  Sharing nginx's uid and PID namespace gives it nothing nginx's workers do not have already.

The client is certbot (images/proxy/acme-client): the ACME client maintained with Let's Encrypt by
the EFF, packaged with security support by Debian (the proxy image's base), with HTTP-01 webroot,
any directory URL and a renewal it leaves to us. acme.sh is in Debian unstable only, lego would be
built from source, and the Python ``acme`` library alone would make us write the client.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Annotated

import pulumi
import pulumi_docker as docker
from pydantic import Field

from ._containers import ServiceSpec, data_volume, healthcheck, label_values, service_container
from ._models import CamelModel, InputStr, Resources, Runtime
from .one_shot import one_shot
from .problems import Problem

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
ACME_PATH = "/etc/nginx/acme"
CERTIFICATE_PATH = f"{ACME_PATH}/current/fullchain.pem"
KEY_PATH = f"{ACME_PATH}/current/privkey.pem"
WEBROOT = f"{ACME_PATH}/webroot"
ACME_UID = 1101  # the images' acme user (images/proxy/Dockerfile): not nginx's 101
CLIENT_USER = f"{ACME_UID}:0"  # group 0: nginx (101:0) reads the 0640 files it writes, and cannot change them
INIT_USER = "0:0"  # with CHOWN, DAC_OVERRIDE, FOWNER only: takes over a volume written by uid 101
INIT_CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER")
RELOADER_USER = "101:0"  # the nginx master's uid: signalling it needs no capability
INSTALLED_MARKER = f"{ACME_PATH}/current/installed"
CLIENT_RESOURCES = Resources(memory="192Mi", cpus=0.25)  # certbot is a short Python run twice a day
RELOADER_RESOURCES = Resources(memory="32Mi", cpus=0.1)  # a shell loop reading one small file


DirectoryUrl = Annotated[
    str,
    Field(
        pattern=r"^https://[^\s/]+(/[^\s]*)?$",
        examples=["https://acme-v02.api.letsencrypt.org/directory", "https://ca.internal:9000/acme/acme/directory"],
    ),
]


class AcmeOptions(CamelModel):
    """How the certificate is obtained, whatever it is for: AcmeArgs' fields the stack file's proxy.acme shares."""

    email: str | None = Field(
        None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        examples=["ops@example.com"],
        description="Contact for the ACME account (expiry warnings); unset registers without one.",
    )
    renew_before_days: int = Field(30, ge=1, le=60, description="Renew when the certificate expires within this many days.")
    check_interval_minutes: int = Field(720, ge=1, le=10080, description="How often the expiry is checked.")
    ca_certificate: str | None = Field(
        None, description="PEM of the CA behind the ACME server's own HTTPS certificate, for a private ACME server."
    )


class AcmeArgs(AcmeOptions):
    """Where and how the proxy's certificate is obtained."""

    domain: str = Field(description="The one DNS name the certificate is for (the proxy's server name).")
    directory_url: DirectoryUrl = LETS_ENCRYPT
    protect: bool = True


class AcmeCertificates:
    """The volume, the init step and the client; ``before_proxy`` must finish before nginx starts."""

    def __init__(
        self,
        name: str,
        *,
        runtime: Runtime,
        service: str,
        image: pulumi.Input[str],
        network: InputStr,
        args: AcmeArgs,
        parent: pulumi.Resource,
    ) -> None:
        self.args = args
        self.runtime, self.service, self.image, self.network, self.name = runtime, service, image, network, name
        self.volume = data_volume(f"{name}-acme", runtime=runtime, component="proxy", protect=args.protect, parent=parent)
        self.init = one_shot(
            f"{name}-acme-init",
            runtime=runtime,
            role=f"{service}-acme-init",
            labels=label_values(runtime, f"{service}-acme-init"),
            image=image,
            command=["init"],
            env=[f"ACME_DOMAIN={args.domain}", f"ACME_UID={ACME_UID}"],
            user=INIT_USER,
            add_capabilities=INIT_CAPABILITIES,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            volumes=[(self.volume.name, ACME_PATH, False)],
            description=f"{name}: preparing the certificate volume",
            consequence="nginx does not start without its certificate volume",
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.before_proxy: list[pulumi.Resource] = [self.init]
        self.client: docker.Container | None = None
        self.reloader: docker.Container | None = None

    def mount(self, *, read_only: bool) -> docker.ContainerVolumeArgs:
        return docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path=ACME_PATH, read_only=read_only)

    def start_client(self, proxy: docker.Container, proxy_address: str, parent: pulumi.Resource) -> docker.Container:
        """The long-running client in its own PID namespace, and the reloader in the proxy's.

        ``proxy_address`` (``alias:port`` of the proxy's HTTPS listener) is where the client checks,
        after an installation, that nginx serves the new certificate.
        """
        args = self.args
        envs = [
            f"ACME_PROXY_ADDRESS={proxy_address}",
            f"ACME_DOMAIN={args.domain}",
            f"ACME_DIRECTORY_URL={args.directory_url}",
            f"ACME_RENEW_BEFORE_DAYS={args.renew_before_days}",
            f"ACME_CHECK_INTERVAL_MINUTES={args.check_interval_minutes}",
            *([f"ACME_EMAIL={args.email}"] if args.email else []),
            *([f"ACME_CA_CERTIFICATE={args.ca_certificate}"] if args.ca_certificate else []),
        ]
        self.client = service_container(
            f"{self.name}-acme",
            ServiceSpec(
                runtime=self.runtime,
                service=f"{self.service}-acme",
                component="proxy-acme",
                image=self.image,
                resources=CLIENT_RESOURCES,
                health=healthcheck(["CMD", "/usr/local/bin/acme-client", "health"], start_period="5s"),
            ),
            networks=[docker.ContainerNetworksAdvancedArgs(name=self.network)],
            name=f"{self.runtime.prefix}-{self.name}-acme",
            command=["run"],
            envs=envs,
            user=CLIENT_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            volumes=[self.mount(read_only=False)],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[proxy]),
        )
        self.reloader = service_container(
            f"{self.name}-acme-reload",
            ServiceSpec(
                runtime=self.runtime,
                service=f"{self.service}-acme-reload",
                component="proxy-acme",
                image=self.image,
                resources=RELOADER_RESOURCES,
                health=healthcheck(["CMD", "test", "-r", INSTALLED_MARKER], start_period="5s"),
            ),
            networks=[],
            network_mode="none",
            name=f"{self.runtime.prefix}-{self.name}-acme-reload",
            entrypoints=["/usr/local/bin/nginx-reload"],
            command=["--watch", INSTALLED_MARKER],
            user=RELOADER_USER,
            pid_mode=proxy.id.apply(lambda proxy_id: f"container:{proxy_id}"),
            # not PID 1 in the proxy's namespace: docker-init would be neither PID 1 nor needed
            init=False,
            read_only=True,
            volumes=[self.mount(read_only=True)],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[proxy]),
        )
        return self.client


def acme_directory(directory_url: str | None, staging: bool) -> str:
    """The directory URL: the one given, else Let's Encrypt (its staging environment when ``staging``)."""
    if directory_url:
        return directory_url
    return LETS_ENCRYPT_STAGING if staging else LETS_ENCRYPT


CERTIFICATE_FIELDS = ("tls_certificate", "tls_private_key")
"""The certificate a proxy is given instead of obtaining one over ACME."""


def acme_needs_tls(field: str, *, acme: bool, tls: bool, tls_field: str) -> list[Problem]:
    """The certificate ACME obtains is served over HTTPS: ``field`` (ACME on) needs ``tls_field`` on."""
    if not acme or tls:
        return []
    return [Problem(field, f"needs {tls_field}: true (the certificate it obtains is served over HTTPS)")]


def unused_certificate(*, acme: bool, given: Collection[str], acme_field: str) -> list[Problem]:
    """With ACME the certificate is obtained: one given too would be ignored. ``given``: the CERTIFICATE_FIELDS given."""
    return [Problem(f, f"is set, but {acme_field} obtains the certificate") for f in CERTIFICATE_FIELDS if acme and f in given]


def missing_certificate(*, tls: bool, acme: bool, given: Collection[str]) -> list[Problem]:
    """TLS without ACME serves the certificate and key it is given: both are required."""
    if not tls or acme:
        return []
    return [Problem(f, "is required: tls is on and acme is off") for f in CERTIFICATE_FIELDS if f not in given]


__all__: Sequence[str] = [
    "CERTIFICATE_FIELDS",
    "LETS_ENCRYPT",
    "LETS_ENCRYPT_STAGING",
    "AcmeArgs",
    "AcmeCertificates",
    "AcmeOptions",
    "DirectoryUrl",
    "acme_directory",
    "acme_needs_tls",
    "missing_certificate",
    "unused_certificate",
]  # fmt: skip
