"""Rules for ``docker:index/container:Container``: health, users, limits, ports and environment.

Each ``validate_*`` function is a pulumi-policy resource validation: it receives
``ResourceValidationArgs`` and a ``report_violation`` callback, and reports one message per problem,
naming the resource and the fix.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .props import (
    CONTAINER,
    DATA_SERVICES,
    UNKNOWN,
    SecretValue,
    describe,
    environment,
    is_long_running,
    kind_of,
    plain,
    who,
)

Report = Callable[..., None]
NON_ROOT_KINDS = (
    "api",
    "web",
    "proxy",
    "postgres",
    "redis",
    "postgres-backup",
    "postgres-rotation",
    "redis-rotation",
    "proxy-acme",
)
PROXY_KIND = "proxy"
LOOPBACK = "127.0.0.1"
RESTART_POLICIES = ("on-failure", "always", "unless-stopped")
SECRET_NAME_PATTERNS = ("*PASSWORD*", "*SECRET*", "*TOKEN*", "*KEY*")
PATH_SUFFIXES = ("_FILE", "_DIR", "_PATH")  # where a secret lives, not the secret: POSTGRES_PASSWORD_FILE, SECRETS_DIR


def _container(args: ResourceValidationArgs) -> dict[str, Any] | None:
    if args.resource_type != CONTAINER:
        return None
    props = plain(args.props)
    return props if isinstance(props, dict) else None


def validate_health_check(args: ResourceValidationArgs, report_violation: Report) -> None:
    props = _container(args)
    if props is None or not is_long_running(props):
        return
    health = props.get("healthcheck")
    if health is UNKNOWN:
        return
    tests = health.get("tests") if isinstance(health, dict) else None
    if not tests or tests[0] == "NONE":
        report_violation(
            f"{describe(args.resource_type, args.name)} runs without a health check. Fix: set healthcheck "
            "(tests=['CMD', ...] or ['CMD-SHELL', '...'], interval, timeout, retries) and wait=True."
        )


def _uid(user: str) -> str:
    return user.split(":", 1)[0].strip()


def validate_non_root(args: ResourceValidationArgs, report_violation: Report) -> None:
    props = _container(args)
    if props is None or kind_of(props) not in NON_ROOT_KINDS:
        return
    user = props.get("user")
    if user is UNKNOWN:
        return
    if not isinstance(user, str) or not user.strip():
        problem = "sets no user, so it runs as the image's user (root unless the image says otherwise)"
    elif _uid(user) in ("0", "root"):
        problem = f"runs as root (user '{user}')"
    else:
        return
    report_violation(
        f"{describe(args.resource_type, args.name)} ({who(props)}) {problem}. "
        "Fix: set user to the image's unprivileged uid:gid, e.g. user='10001:0'."
    )


def validate_prod_limits(args: ResourceValidationArgs, report_violation: Report) -> None:
    props = _container(args)
    if props is None or not is_long_running(props) or environment(props, args.get_config()) != "prod":
        return
    missing = []
    memory = props.get("memory")
    if memory is not UNKNOWN and not (isinstance(memory, (int, float)) and memory > 0):
        missing.append("memory (a hard limit in MiB)")
    cpus = props.get("cpus")
    if cpus is not UNKNOWN and not cpus:
        missing.append("cpus (a CPU limit such as '0.5')")
    restart = props.get("restart")
    if restart is not UNKNOWN and restart not in RESTART_POLICIES:
        missing.append(f"restart (is {restart or 'unset'}; use unless-stopped, always or on-failure)")
    if missing:
        report_violation(
            f"{describe(args.resource_type, args.name)} lacks in prod: {', '.join(missing)}. "
            "Fix: give the service resources (memory, cpus) and restart: unless-stopped in Pulumi.prod.yaml."
        )


def validate_published_ports(args: ResourceValidationArgs, report_violation: Report) -> None:
    props = _container(args)
    if props is None:
        return
    ports = props.get("ports")
    if not isinstance(ports, list) or not ports:
        return
    config = args.get_config()
    env = environment(props, config)
    kind = kind_of(props)
    name = describe(args.resource_type, args.name)
    data_ports_allowed = env == "dev" and kind in DATA_SERVICES and config.get("allowDataServicePortsInDev", True)
    if kind != PROXY_KIND and not data_ports_allowed:
        report_violation(
            f"{name} ({who(props)}) publishes host ports; only the reverse proxy may. "
            "Fix: remove ports and reach the service through the proxy (data services: hostPort only in dev, on 127.0.0.1)."
        )
        return
    if env != "dev":
        return
    for port in ports:
        if not isinstance(port, dict) or port.get("ip") is UNKNOWN:
            continue
        ip = port.get("ip") or "0.0.0.0"  # the provider's default
        if ip != LOOPBACK:
            report_violation(
                f"{name} publishes port {_number(port.get('external'))} on {ip} in dev. "
                f"Fix: bind it to {LOOPBACK} (proxy.bindAddress: {LOOPBACK} in Pulumi.dev.yaml)."
            )


def _number(value: Any) -> Any:
    """The engine sends numbers as floats: 8080.0 reads better as 8080."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _secret_looking(name: str) -> bool:
    upper = name.upper()
    if upper.endswith(PATH_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_NAME_PATTERNS)


def validate_env_secrets(args: ResourceValidationArgs, report_violation: Report) -> None:
    props = _container(args)
    if props is None:
        return
    envs = props.get("envs")
    name = describe(args.resource_type, args.name)
    fix = "Fix: deliver it as a file (a read-only secrets volume) and pass only its path, e.g. POSTGRES_PASSWORD_FILE."
    if isinstance(envs, SecretValue):
        # one secret element makes the engine mark the whole list: name the variables, not the values
        keys = sorted(_key(entry) for entry in envs.value) if isinstance(envs.value, list) else []
        report_violation(f"{name} carries a secret value in its environment (one of: {', '.join(keys) or 'envs'}). {fix}")
        return
    if not isinstance(envs, list):
        return
    for entry in envs:
        if isinstance(entry, SecretValue):
            report_violation(f"{name} carries a secret value in environment variable {_key(entry.value)}. {fix}")
        elif isinstance(entry, str) and _secret_looking(_key(entry)) and entry.partition("=")[2]:
            report_violation(f"{name} sets secret-looking environment variable {_key(entry)} to a literal value. {fix}")


def _key(entry: Any) -> str:
    return str(entry).split("=", 1)[0] if isinstance(entry, str) else "?"
