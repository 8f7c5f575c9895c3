"""Stack files as the Pulumi CLI reads them, and the settings every tier layers on them, in one place.

Unit and policy tests run the program under mocks with ``stack_config``; the e2e tier writes the merged
file for the real CLI (tests/e2e/deploy.py); the benchmark evaluates the program with it. Prod's four
settings are encrypted in Pulumi.prod.yaml: ``PROD_SECRETS`` are plain stand-ins for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PROJECT = "standard-stack"

FAKE_CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
FAKE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n"
PROD_SECRET_VALUES = {  # keys as `pulumi config set --secret` takes them after the namespace
    "postgresPassword": "prod-postgres-password-9f8e7d",
    "redisPassword": "prod-redis-password-6c5b4a",
    "tlsCertificate": FAKE_CERT,
    "tlsPrivateKey": FAKE_KEY,
}


def namespaced(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"proxy": ...}`` -> ``{"standard-stack:proxy": ...}``; keys with a namespace stay as they are."""
    return {key if ":" in key else f"{PROJECT}:{key}": value for key, value in values.items()}


PROD_SECRETS = namespaced(PROD_SECRET_VALUES)


class StackFileLoader(yaml.SafeLoader):
    """Reads stack files as the Pulumi CLI does (Go's yaml.v3, YAML 1.2): only true/false are booleans.

    PyYAML follows YAML 1.1, where ``restart: no`` is the boolean false; the CLI hands the program
    the string "no".
    """


StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StackFileLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_stack_file(text: str) -> Any:
    return yaml.load(text, Loader=StackFileLoader)


def merge(base: Any, override: Any) -> Any:
    """Objects merge key by key (the override wins); anything else is replaced."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base.get(key), value)
        return out
    return override


def stack_config(*paths: Path | str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``config:`` maps of stack files merged (later files win, objects key by key), then ``overrides``.

    Files that do not exist are skipped (optional layers); ``overrides`` keys without a namespace get
    this project's.
    """
    merged: dict[str, Any] = {}
    for path in map(Path, paths):
        if path.exists():
            merged = merge(merged, (read_stack_file(path.read_text()) or {}).get("config") or {})
    return merge(merged, namespaced(overrides or {}))
