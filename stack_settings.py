"""The product's stack settings: ``standard-stack:`` keys of Pulumi.<stack>.yaml, validated into the library's model.

The library (``standard_stack.settings``) declares the settings, their defaults and cross-field rules;
this module adds what belongs to this program: the ``standard-stack:`` namespace, the secrets, messages
naming the exact key and command, and generation of Pulumi.yaml's ``config:`` block and docs/configuration.md's
reference (``python -m stack_settings``; the tests check both are in sync).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic.alias_generators import to_camel

from standard_stack import StandardStackArgs, engine, versions
from standard_stack.acme import CERTIFICATE_FIELDS, missing_certificate, unused_certificate
from standard_stack.engine import Platform
from standard_stack.nginx import BodySize, ContentSecurityPolicy, Port, ServerName
from standard_stack.problems import PROBLEMS, Problem, section_model
from standard_stack.problems import key as field_key
from standard_stack.settings import AppName, ConfigKey, EnvName, ReleaseTag, StackSettings
from standard_stack.units import Memory
from standard_stack.versions import Version

NAMESPACE = "standard-stack"


def _field_pattern(annotated: Any) -> str:
    """The pattern declared on an annotated text type (``Field(pattern=...)`` keeps it in its metadata)."""
    info = typing.get_args(annotated)[1]
    return str(next(m.pattern for m in info.metadata if getattr(m, "pattern", None)))


class StackConfig(StackSettings):
    """Everything a stack file may say: the library's settings plus how passwords are obtained."""

    generate_passwords: bool = Field(
        True, description="Generate missing passwords with pulumi-random; false requires them as secrets."
    )


SECRETS: dict[str, str] = {
    "postgresPassword": "Password of the postgres role; generated when unset and generatePasswords is true.",
    "redisPassword": "Password Redis requires; generated when unset and generatePasswords is true.",
    "tlsCertificate": "PEM certificate chain served by the proxy when proxy.tls is true (and proxy.acme is off).",
    "tlsPrivateKey": "PEM private key of tlsCertificate.",
}


FORMS: dict[str, str] = {
    _field_pattern(EnvName): "an environment variable name such as SENTRY_DSN (letters, digits, _; no leading digit)",
    _field_pattern(AppName): "a DNS label such as admin or celery-worker (a-z, 0-9, '-'; a letter first; at most 32)",
    _field_pattern(ConfigKey): "a config key of this stack such as sentryDsn, set with pulumi config set --secret",
}
"""Named forms of map keys and values, for messages people can act on."""


class ConfigError(Exception):
    """A refused configuration; the message is complete and meant for humans."""


def _key(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    return f"{NAMESPACE}:{'.'.join(parts)}" if parts else NAMESPACE


def _describe(error: Mapping[str, Any]) -> list[str]:
    loc = error["loc"]
    if error["type"] == PROBLEMS:  # the settings' cross-field rules: each problem names its field
        problems: list[Problem] = error["ctx"]["problems"]
        return [f"{_key((*loc, field_key(None if loc else StackConfig, p.field)))} {p.reason}" for p in problems]
    is_name = bool(loc) and loc[-1] == "[key]"  # a map's key: an env name, an app's name
    key = _key(loc[:-1] if is_name else loc)
    if error["type"] == "extra_forbidden":
        return [f"{key}: unknown setting (check the spelling; the reference lists every setting)"]
    if error["type"] == "missing":
        return [f"{key}: required setting is missing"]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":
        examples = [] if is_name else _examples(loc)
        form = FORMS.get(error["ctx"]["pattern"])
        message = (
            f"must be {form}"
            if form
            else f"must look like {', '.join(examples)}"
            if examples
            else f"must match {error['ctx']['pattern']}"
        )
    return [f"{key}: {message}; got {json.dumps(error.get('input'), default=str)}"]


def _examples(loc: tuple[Any, ...]) -> list[str]:
    """The examples declared on the field at ``loc`` (aliases), for messages people can act on."""
    model: Any = StackConfig
    field = None
    parts = [str(p) for p in loc]
    while parts:
        part = parts.pop(0)
        fields = {f.alias or n: f for n, f in getattr(model, "model_fields", {}).items()}
        field = fields.get(part)
        if field is None:
            return []
        model = section_model(field.annotation) or field.annotation
        if section_model(field.annotation) is not None and typing.get_origin(field.annotation) is dict and parts:
            parts.pop(0)  # the entry's name (apps.<name>.port)
    examples = list(field.examples or []) if field else []
    for meta in getattr(field, "metadata", []) if field else []:
        examples += list(getattr(meta, "examples", None) or [])
    if not examples and field is not None:  # an optional annotated type (``ReleaseTag | None``) keeps them inside
        for arg in typing.get_args(field.annotation):
            for meta in getattr(arg, "__metadata__", ()):
                examples += list(getattr(meta, "examples", None) or [])
    return examples


def parse(raw: Mapping[str, Any], *, secret_keys: frozenset[str] = frozenset(), source: str = "stack config") -> StackConfig:
    """Validate raw settings (keys without the namespace) into a StackConfig, or raise ConfigError listing every problem.

    ``raw`` may hold the secret keys too (only their presence is read); ``secret_keys`` says which
    of them Pulumi holds encrypted.
    """
    plain = {k: v for k, v in raw.items() if k not in SECRETS and k not in _named_secrets(raw)}
    try:
        config = StackConfig.model_validate(plain)
    except ValidationError as exc:
        lines = [line for err in exc.errors() for line in _describe(err)]
        raise ConfigError(_format(source, lines)) from None
    in_plain_text = sorted(k for k in SECRETS if k in raw and k not in secret_keys)
    if in_plain_text:
        raise ConfigError(
            _format(source, [f"{NAMESPACE}:{k}: is stored in plain text; it must be a secret" for k in in_plain_text])
            + "\nStore it encrypted with:\n"
            + "\n".join(f"  pulumi config rm {NAMESPACE}:{k} && {secret_command(k)}" for k in in_plain_text)
        )
    given = [field for field in CERTIFICATE_FIELDS if to_camel(field) in raw]
    unused = unused_certificate(acme=config.proxy.acme.enabled, given=given, acme_field="proxy.acme")
    if unused:
        raise ConfigError(
            _format(source, [f"{NAMESPACE}:{to_camel(p.field)}: {p.reason}" for p in unused])
            + "\nRemove it with:\n"
            + "\n".join(f"  pulumi config rm {NAMESPACE}:{to_camel(p.field)}" for p in unused)
        )
    _check_app_secrets(config, raw, secret_keys, source)
    missing = sorted(required_secrets(config) - {k for k in SECRETS if k in raw})
    if missing:
        raise ConfigError(
            _format(source, [f"{NAMESPACE}:{k}: required secret is not set" for k in missing])
            + "\nSet them with:\n"
            + "\n".join(f"  {secret_command(k)}" for k in missing)
        )
    return config


def _named_secrets(raw: Mapping[str, Any]) -> set[str]:
    """Config keys the stack file's ``secrets`` maps name, read before validation: they are not settings."""

    def values(section: Any) -> list[Any]:
        secrets = section.get("secrets") if isinstance(section, Mapping) else None
        return list(secrets.values()) if isinstance(secrets, Mapping) else []

    sections = [raw.get("api"), raw.get("web")]
    for group in ("apps", "workers"):
        entries = raw.get(group)
        sections += list(entries.values()) if isinstance(entries, Mapping) else []
    settings = {f.alias or n for n, f in StackConfig.model_fields.items()}
    return {v for s in sections for v in values(s) if isinstance(v, str) and v not in settings}


def app_secrets(config: StackSettings) -> dict[str, str]:
    """Config key -> the first setting naming it (``api.secrets.SENTRY_DSN``): the secrets the apps are given."""
    named: dict[str, str] = {}
    sections: list[tuple[str, Any]] = [("api", config.api), ("web", config.web)]
    sections += [(f"apps.{n}", a) for n, a in config.apps.items()] + [(f"workers.{n}", w) for n, w in config.workers.items()]
    for where, section in sections:
        for env, key in section.secrets.items():
            named.setdefault(key, f"{where}.secrets.{env}")
    return named


def _check_app_secrets(config: StackConfig, raw: Mapping[str, Any], secret_keys: frozenset[str], source: str) -> None:
    """A secret an app is given is a key of its own, stored encrypted."""
    named = app_secrets(config)
    settings = {f.alias or n for n, f in StackConfig.model_fields.items()} | set(SECRETS)
    taken = sorted(k for k in named if k in settings)
    if taken:
        lines = [f"{NAMESPACE}:{named[k]}: names {k!r}, one of the stack's own settings; use a key of its own" for k in taken]
        raise ConfigError(_format(source, lines))
    plain = sorted(k for k in named if k in raw and k not in secret_keys)
    if plain:
        raise ConfigError(
            _format(
                source, [f"{NAMESPACE}:{k}: is stored in plain text; it must be a secret ({named[k]} names it)" for k in plain]
            )
            + "\nStore it encrypted with:\n"
            + "\n".join(f"  pulumi config rm {NAMESPACE}:{k} && {secret_command(k)}" for k in plain)
        )
    missing = sorted(k for k in named if k not in raw)
    if missing:
        raise ConfigError(
            _format(source, [f"{NAMESPACE}:{k}: required secret is not set ({named[k]} names it)" for k in missing])
            + "\nSet them with:\n"
            + "\n".join(f"  {secret_command(k)}" for k in missing)
        )


def load_from_pulumi(stack: str) -> StackConfig:
    """Read this project's settings from the running Pulumi program (real engine or mocks)."""
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = decode_raw({k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)})
    secret_keys = frozenset(
        k[len(prefix) :]
        for k in {*runtime_config.get_config_secret_keys_env(), *runtime_config._SECRET_KEYS.get()}
        if k.startswith(prefix)
    )
    return parse(raw, secret_keys=secret_keys, source=f"Pulumi.{stack}.yaml")


def engine_api_version(config: StackConfig, configured_host: str | None) -> str | None:
    """The Engine API version of the engine the docker provider uses (``docker:host``, else ``DOCKER_HOST``,
    else the local socket), asked when ``healthStartInterval`` needs it; None when off or not askable from
    here (``ssh://``, TLS): then no start interval is sent. A duration set for an engine known to refuse it
    (API < 1.44: its client fails every container's create) is refused here, before anything is registered."""
    chosen = config.health_start_interval
    if chosen == "off":
        return None
    host = engine.docker_host(configured_host)
    version = engine.api_version(host)
    if version is not None and chosen != "auto" and not engine.takes_start_interval(version):
        raise ConfigError(
            f"{NAMESPACE}:healthStartInterval: ({chosen}) needs Docker Engine API {versions.START_INTERVAL_API} "
            f"or later (Docker 25+); the engine at {host} speaks API {version}. Set auto (a start interval only "
            "where the engine takes it) or off."
        )
    return version


def stack_args(
    config: StackConfig,
    *,
    project: str,
    stack: str,
    secret: Callable[[str], Any],
    release_history: Any,
    engine_api_version: str | None = None,
) -> StandardStackArgs:
    """The library's args for one stack: the validated settings, secrets read by their key, refusals naming our keys."""
    return StandardStackArgs(
        settings=config,
        project=project,
        stack=stack,
        postgres_password=secret("postgresPassword"),
        redis_password=secret("redisPassword"),
        tls_certificate=secret("tlsCertificate"),
        tls_private_key=secret("tlsPrivateKey"),
        app_secrets={key: secret(key) for key in app_secrets(config)},
        release_history=release_history,
        release_setting=f"{NAMESPACE}:{{service}}.release",
        tls_setting=f"{NAMESPACE}:{{key}}",
        engine_api_version=engine_api_version,
    )


def required_secrets(config: StackConfig) -> set[str]:
    missing = missing_certificate(tls=config.proxy.tls, acme=config.proxy.acme.enabled, given=())
    needed = {to_camel(p.field) for p in missing}
    if not config.generate_passwords:
        needed |= {"postgresPassword", "redisPassword"}
    return needed


def secret_command(key: str) -> str:
    """The documented command for ``key``: PEM files by their usual names, passwords generated and piped (never in argv)."""
    if key.startswith("tls"):
        path = "fullchain.pem" if key == "tlsCertificate" else "privkey.pem"
        return f"pulumi config set --secret {NAMESPACE}:{key} < {path}"
    if key not in SECRETS:  # an app's own secret: the CLI prompts for it (never in argv or shell history)
        return f"pulumi config set --secret {NAMESPACE}:{key}"
    return f"openssl rand -hex 24 | pulumi config set --secret {NAMESPACE}:{key}"


def _format(source: str, lines: list[str]) -> str:
    return f"Invalid configuration in {source}:\n" + "\n".join(f"  - {line}" for line in lines)


def decode_raw(values: Mapping[str, str]) -> dict[str, Any]:
    """Pulumi hands structured config over as JSON text; scalars stay text for pydantic to coerce."""
    out: dict[str, Any] = {}
    for key, text in values.items():
        stripped = text.strip()
        if stripped[:1] in "{[":
            try:
                out[key] = json.loads(stripped)
                continue
            except json.JSONDecodeError:
                pass
        out[key] = text
    return out


def _declaration(field: Any) -> dict[str, Any]:
    """One ``config:`` entry of Pulumi.yaml for a top-level field."""
    annotation = field.annotation
    entry: dict[str, Any] = {}
    simple = {bool: "boolean", int: "integer", str: "string"}
    if annotation in simple:
        entry["type"] = simple[annotation]
    elif getattr(annotation, "__origin__", None) is Literal:
        entry["type"] = "string"
    elif (isinstance(annotation, type) and issubclass(annotation, BaseModel)) or typing.get_origin(annotation) is dict:
        pass  # objects: Pulumi's project schema has no object type; the model validates them
    else:
        entry["type"] = "string"  # optional text such as imageRegistry
    description = field.description or (annotation.__doc__ or "").strip().splitlines()[0]
    if getattr(annotation, "__origin__", None) is Literal:
        description += f" One of: {', '.join(annotation.__args__)}."
    entry["description"] = description
    if not field.is_required() and field.get_default(call_default_factory=True) is not None:
        default = field.get_default(call_default_factory=True)
        entry["default"] = (
            default.model_dump(by_alias=True, mode="json", exclude_none=True) if isinstance(default, BaseModel) else default
        )
    return entry


def pulumi_config_block() -> dict[str, Any]:
    """The ``config:`` block of Pulumi.yaml, derived from StackConfig so docs and validation cannot drift.

    The Pulumi CLI treats every declared key without ``default`` or ``value`` as required on every
    stack (pulumi/pulumi ``pkg/workspace/config.go``, ``mergeConfig``: "Stack 'dev' is missing
    configuration values ..."), and it checks only declared keys. So optional settings without a
    default (imageRegistry) and the secrets are left out: the model still validates them, and the
    program's own message for a missing prod secret names the exact ``pulumi config set`` command.
    """
    return {
        field.alias or name: _declaration(field)
        for name, field in StackConfig.model_fields.items()
        if field.is_required() or field.get_default(call_default_factory=True) is not None
    }


def _type_name(annotation: Any) -> str:
    from standard_stack.units import Cpus

    named = {
        Memory: "memory (`512Mi`, `2Gi`)",
        Cpus: "CPUs (`0.5`, `2`)",
        Port: "port (1-65535)",
        Version: "version tag",
        ServerName: "host name (`example.com`, `*.example.com`, `_`)",
        BodySize: "nginx size (`512k`, `10m`, `1g`)",
        ContentSecurityPolicy: "CSP (`default-src 'self'; ...`)",
        Platform: "platform (`linux/amd64`, `linux/arm64`)",
        ReleaseTag: "release tag (`dev-3f9a1c0b7d2e`)",
    }
    for alias, name in named.items():
        if annotation == alias:
            return name
    if getattr(annotation, "__origin__", None) is Literal:
        return " \\| ".join(f"`{a}`" for a in annotation.__args__)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        return f"{_type_name(next(a for a in args if a is not type(None)))} (optional)"
    if typing.get_origin(annotation) is dict:
        return "map of text"
    if typing.get_origin(annotation) is list:
        return f"list of {_type_name(args[0])}"
    if typing.get_origin(annotation) is typing.Annotated:
        return _type_name(args[0])
    return {"str": "text", "int": "integer", "bool": "boolean"}.get(getattr(annotation, "__name__", ""), str(annotation))


def _rows(model: type[BaseModel], prefix: str, instance: BaseModel | None) -> list[tuple[str, str, str, str]]:
    """Flattened settings; defaults of nested sections come from the parent's default instance."""
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        annotation = field.annotation
        if instance is not None:
            default, required = getattr(instance, name), False
        else:
            required = field.is_required()
            default = None if required else field.get_default(call_default_factory=True)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, f"{key}.", default)
            continue
        inner = section_model(annotation)
        if inner is not None:  # each entry of apps/workers, an optional health or job: its own settings, no defaults
            named = typing.get_origin(annotation) is dict
            rows.append((f"`{key}`", "map of name to settings" if named else "settings (optional)", "—", field.description or ""))
            rows += _rows(inner, f"{key}.<name>." if named else f"{key}.", None)
            continue
        shown = "required" if required else ("—" if default in (None, {}) else f"`{json.dumps(default)}`")
        rows.append((f"`{key}`", _type_name(annotation), shown, field.description or ""))
    return rows


def markdown_reference() -> str:
    """docs/configuration.md's settings table (every key under ``standard-stack:``), generated like Pulumi.yaml."""
    lines = ["| Setting | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| {k} | {t} | {d} | {m} |" for k, t, d, m in _rows(StackConfig, "", None)]
    lines += [f"| `{k}` | secret string | — | {d} |" for k, d in SECRETS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    import yaml

    if sys.argv[1:] == ["--markdown"]:
        print(markdown_reference(), end="")
    else:
        print(yaml.safe_dump({"config": pulumi_config_block()}, sort_keys=False, width=120), end="")
