"""Which library model each input type of the package stands for; the schema shows the models' defaults.

The analyzer takes each input's description from the string under its key in the TypedDict's source
(``Analyzer.get_docstring``: ``inspect.getsource`` and ``ast``), so the TypedDicts are written out, not
generated from the models; tests/unit/test_component_package_contract.py holds them to the models field by
field. They restate no default: ``ModelAnalyzer`` appends the model's own (versions.py, the Field) to the
description, so a changed default reaches the schema when it is regenerated.
"""

import json
from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer
from pydantic import BaseModel

from .. import acme, app, networks, next_app, postgres, python_api, redis, reverse_proxy, stack
from .._models import ImageBuild, LogRotation, Resources, Runtime, Upstream
from ..nginx import ProxyRoute
from . import app as app_package
from . import apps, data, edge, inputs, whole
from .convert import camel

MODELS: dict[type, type[BaseModel]] = {
    inputs.LogRotationArgs: LogRotation,
    inputs.RuntimeArgs: Runtime,
    inputs.ResourcesArgs: Resources,
    inputs.ImageBuildArgs: ImageBuild,
    inputs.DatabaseConnectionArgs: python_api.DatabaseConnection,
    inputs.RedisConnectionArgs: python_api.RedisConnection,
    inputs.ProxyRouteArgs: ProxyRoute,
    inputs.UpstreamArgs: Upstream,
    inputs.PostgresBackupArgs: postgres.PostgresBackupArgs,
    inputs.AppDatabaseArgs: postgres.AppDatabase,
    inputs.AcmeArgs: acme.AcmeArgs,
    inputs.HealthCheckArgs: app.HealthCheck,
    inputs.AppJobArgs: app.AppJob,
    data.PostgresServiceArgs: postgres.PostgresServiceArgs,
    data.RedisServiceArgs: redis.RedisServiceArgs,
    apps.PythonApiArgs: python_api.PythonApiArgs,
    apps.NextAppArgs: next_app.NextAppArgs,
    app_package.AppArgs: app.AppArgs,
    app_package.WorkerArgs: app.WorkerArgs,
    edge.StackNetworksArgs: networks.StackNetworksArgs,
    edge.ReverseProxyArgs: reverse_proxy.ReverseProxyArgs,
    whole.StandardStackArgs: stack.StandardStackArgs,
}
"""Package input type -> the library model its value becomes."""

_RUNTIME = "the package fills it in: the deploying program's project and stack (convert.runtime_values)"
FILLED: dict[type, dict[str, str]] = {
    inputs.RuntimeArgs: {"project": _RUNTIME, "stack": _RUNTIME},
    whole.StandardStackArgs: {"project": _RUNTIME, "stack": _RUNTIME},
    **{
        args: {"runtime": _RUNTIME}
        for args in (
            data.PostgresServiceArgs,
            data.RedisServiceArgs,
            apps.PythonApiArgs,
            apps.NextAppArgs,
            app_package.AppArgs,
            app_package.WorkerArgs,
            edge.StackNetworksArgs,
            edge.ReverseProxyArgs,
        )
    },
}
"""Inputs whose value, when not given, the package supplies instead of the model's default."""

DOCUMENTED_BY: dict[type, tuple[type, ...]] = {
    app_package.WorkerArgs: (app_package.AppArgs,),
    apps.PythonApiArgs: (inputs.OwnSettingsArgs,),
    apps.NextAppArgs: (inputs.OwnSettingsArgs,),
}
"""Input types with keys of their TypedDict bases, whose descriptions are written there (Python 3.11's TypedDict
keeps no bases to find them by)."""


def default_text(model: type[BaseModel], name: str) -> str | None:
    """The model's default of ``name`` as a schema user writes it, or None when unset means none."""
    value = model.model_fields[name].get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        if value == type(value).model_construct():
            return None  # the nested model's own defaults: its inputs show them
        value = _camel(value.model_dump(exclude_none=True))
    if value is None or value == [] or value == {}:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(key): _camel(item) for key, item in value.items()}
    return value


class ModelAnalyzer(Analyzer):
    """Pulumi's analyzer, with each optional input's description ending in its model's default."""

    def get_docstring(self, typ: type, name: str) -> str | None:
        doc = super().get_docstring(typ, name)
        for base in DOCUMENTED_BY.get(typ, ()):
            doc = doc or super().get_docstring(base, name)
        model = MODELS.get(typ)
        if model is None or name not in model.model_fields or name in FILLED.get(typ, {}):
            return doc
        if name in getattr(typ, "__required_keys__", ()):
            return doc
        default = default_text(model, name)
        if default is None:
            return doc
        doc = (doc or "").rstrip()
        return f"{doc.removesuffix('.')} (default {default})."
