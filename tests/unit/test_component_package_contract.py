"""The component package's inputs and outputs are the library's, field by field.

The package's input types are TypedDicts written out (the analyzer reads their descriptions from source,
components/package/models.py), so these tests hold each to the library model it becomes: same fields
(schema name = the field name camel-cased), same requiredness, a compatible type, no default restated.
Every departure is listed below with its reason. Outputs: what each component declares to the package
against what the library registers (``register_outputs``).
"""

from __future__ import annotations

import re
import sys
import types
import typing
from collections.abc import Awaitable, Sequence
from typing import Any, Literal, Union, get_args, get_origin

import pulumi
import pytest
from pydantic import BaseModel

from standard_stack import package
from standard_stack.package import app, apps, data, edge, inputs, models, whole
from standard_stack.package.convert import camel
from tests.support.program import RecordingMocks, run_program

SWARM = "swarm only: the package's runtime has no target, its components run on one Docker host"
RELEASES = "the package always builds and runs the current sources; pins need the program's release history"
DEPENDS_ON = "Python-only: the package passes the resource's own dependsOn (convert.dependencies)"
HOT_RELOAD = "development bind mount of a source directory: the standard-stack program's dev mode"
ENGINE = (
    "not offered by the package yet: the standard-stack program asks the engine (stack_settings.engine_api_version); "
    "unknown, no start_interval is sent"
)

OMITTED: dict[type, dict[str, str]] = {
    inputs.AppJobArgs: {"depends_on": "Python-only: a package App's job waits for what the App's own dependsOn names"},
    inputs.RuntimeArgs: {"target": SWARM, "health_start_interval": ENGINE, "engine_api_version": ENGINE},
    inputs.ProxyRouteArgs: {"upstream_address": "filled in from the proxy's upstreams input (the container's address)"},
    data.PostgresServiceArgs: {"network_id": SWARM},
    data.RedisServiceArgs: {"network_id": SWARM},
    apps.PythonApiArgs: {
        "frontend_network_id": SWARM,
        "backend_network_id": SWARM,
        "replicas": SWARM,
        "hot_reload_source": HOT_RELOAD,
        "release": RELEASES,
        "depends_on": DEPENDS_ON,
        "database_ready": DEPENDS_ON,
    },
    apps.NextAppArgs: {"network_id": SWARM, "replicas": SWARM, "hot_reload_source": HOT_RELOAD, "release": RELEASES},
    **{
        args: {
            "network_ids": SWARM,
            "replicas": SWARM,
            "source_mounts": HOT_RELOAD,
            "release": RELEASES,
            "depends_on": DEPENDS_ON,
        }
        for args in (app.AppArgs, app.WorkerArgs)
    },
    edge.ReverseProxyArgs: {
        "network_id": SWARM,
        "tls_setting": "how the standard-stack program names its TLS settings in errors; the package's are its inputs",
        "depends_on": DEPENDS_ON,
    },
    whole.StandardStackArgs: {
        "release_history": RELEASES,
        "engine_api_version": ENGINE,
        "release_setting": "how the standard-stack program names its release settings in errors",
        "tls_setting": "how the standard-stack program names its TLS settings in errors",
        "app_secrets": "not offered by the package yet: a package StandardStack whose settings name secrets (api.secrets, "
        "apps.<name>.secrets) is refused naming the keys without values (StandardStack._check_app_secrets)",
    },
}
"""Model fields the package does not offer, each with why."""

PACKAGE_ONLY: dict[type, dict[str, str]] = {
    whole.StandardStackArgs: {"source_root": "the provider runs in its own directory: build contexts need a root"},
}
"""Package inputs no model field matches, each with why."""

REQUIRED_HERE: dict[type, dict[str, str]] = {
    args: {"build": "the model's default context is relative to the program; the provider needs an absolute one"}
    for args in (apps.PythonApiArgs, apps.NextAppArgs, edge.ReverseProxyArgs)
}
"""Inputs the package requires although the model has a default, each with why."""

OTHER_TYPE: dict[type, dict[str, str]] = {
    whole.StandardStackArgs: {"settings": "StackSettings' shape is declared once, by the model: an object of any values"},
}
"""Inputs whose schema type is not the model's, each with why."""

INPUT_ALIASES = {"InputStr": pulumi.Input[str], "InputInt": pulumi.Input[int]}


def model_hint(model: type[BaseModel], name: str) -> Any:
    """The field's annotation as written (``InputStr`` is ``Any`` at run time; its source says Input[str])."""
    for klass in model.__mro__:
        raw = vars(klass).get("__annotations__", {}).get(name)
        if raw is not None:
            break
    if isinstance(raw, str):
        return eval(raw, vars(sys.modules[klass.__module__]), INPUT_ALIASES)
    return raw


def shape(hint: Any) -> tuple[bool, Any]:
    """(takes another resource's output, the value's form): forms are str, int, bool, any, ("list", form),
    ("dict", form) or the model an object becomes (a package TypedDict stands for its model)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is typing.Annotated:
        return shape(args[0])
    if origin in (typing.NotRequired, typing.Required):
        return shape(args[0])
    if origin in (Union, types.UnionType):  # pulumi.Input[T] is T | Awaitable[T] | "Output[T]"
        output = any(get_origin(a) is pulumi.Output or _output_ref(a) for a in args)
        rest = [a for a in args if a is not type(None) and not _output_ref(a) and get_origin(a) is not Awaitable]
        assert len(rest) == 1, f"unexpected union {hint}"
        return output or shape(rest[0])[0], shape(rest[0])[1]
    if hint is Any:
        return True, "any"
    if origin is Literal:
        return False, type(args[0]).__name__
    if origin in (list, tuple, Sequence) or origin is getattr(typing, "Sequence", None):
        takes, item = shape(args[0])
        return False, ("list", (takes, item))
    if origin is dict:
        return False, ("dict", shape(args[1]))
    if typing.is_typeddict(hint):
        return False, models.MODELS.get(hint, hint)
    if isinstance(hint, type) and hint in (str, int, bool):
        return False, hint.__name__
    return False, hint


def _output_ref(hint: Any) -> bool:
    return isinstance(hint, typing.ForwardRef) and hint.__forward_arg__.startswith("Output[")


def package_hints(args: type) -> dict[str, Any]:
    """The TypedDict's annotations as objects (``typing.get_type_hints`` fails on pulumi.Input's forward reference)."""
    return dict(args.__annotations__)


def compatible(given: tuple[bool, Any], taken: tuple[bool, Any]) -> bool:
    """A package input of form ``given`` reaches the model as a value its field of form ``taken`` accepts."""
    (given_output, given_form), (taken_output, taken_form) = given, taken
    if taken_form == "any":
        return True
    object_split = isinstance(taken_form, type) and issubclass(taken_form, BaseModel)  # provider._split_objects
    if given_output and not (taken_output or object_split):
        return False
    if isinstance(given_form, tuple) and isinstance(taken_form, tuple):
        return given_form[0] == taken_form[0] and compatible(given_form[1], taken_form[1])
    return given_form == taken_form


CASES = sorted(models.MODELS.items(), key=lambda pair: pair[0].__name__)
IDS = [args.__name__ for args, _ in CASES]


@pytest.mark.parametrize(("args", "model"), CASES, ids=IDS)
def test_every_model_field_is_an_input_of_the_same_name_but_the_listed_exceptions(args, model):
    omitted, extra = OMITTED.get(args, {}), PACKAGE_ONLY.get(args, {})
    assert set(omitted) <= set(model.model_fields), f"stale exceptions: {set(omitted) - set(model.model_fields)}"
    expected = {camel(name) for name in model.model_fields if name not in omitted} | {camel(name) for name in extra}
    assert {camel(name) for name in args.__annotations__} == expected


@pytest.mark.parametrize(("args", "model"), CASES, ids=IDS)
def test_an_input_is_required_exactly_where_the_model_field_is(args, model):
    filled, required_here = models.FILLED.get(args, {}), REQUIRED_HERE.get(args, {})
    for name in set(args.__annotations__) & set(model.model_fields):
        required = model.model_fields[name].is_required()
        if name in filled:
            assert name in args.__optional_keys__, f"{name}: the package fills it, so it is optional"
        elif name in required_here:
            assert not required and name in args.__required_keys__, f"{name}: listed as required by the package only"
        else:
            assert (name in args.__required_keys__) == required, f"{camel(name)}: required {required} in {model.__name__}"


@pytest.mark.parametrize(("args", "model"), CASES, ids=IDS)
def test_an_input_takes_what_the_model_field_accepts(args, model):
    hints = package_hints(args)
    for name in set(hints) & set(model.model_fields) - set(OTHER_TYPE.get(args, {})):
        given, taken = shape(hints[name]), shape(model_hint(model, name))
        assert compatible(given, taken), f"{camel(name)}: package {given} vs {model.__name__} {taken}"


def test_every_object_an_input_takes_is_an_input_type_held_to_its_model():
    for args in models.MODELS:
        for name, hint in package_hints(args).items():
            for nested in _typeddicts(hint):
                assert nested in models.MODELS, f"{args.__name__}.{name}: {nested.__name__} has no model in models.MODELS"


def _typeddicts(hint: Any) -> list[type]:
    found = [hint] if typing.is_typeddict(hint) else []
    return found + [t for arg in get_args(hint) for t in _typeddicts(arg)]


def test_no_input_description_restates_a_default_they_come_from_the_models():
    for args in models.MODELS:
        for name, doc in _source_docstrings(args).items():
            if name not in models.FILLED.get(args, {}):
                assert not re.search(r"\bdefault(?![-\w])", doc, re.IGNORECASE), f"{args.__name__}.{name}: {doc!r}"


def _source_docstrings(args: type) -> dict[str, str]:
    analyzer = models.ModelAnalyzer(package.NAME)
    return {name: models.Analyzer.get_docstring(analyzer, args, name) or "" for name in args.__annotations__}


def test_the_schema_shows_each_inputs_default_as_the_model_declares_it():
    analyzer = models.ModelAnalyzer(package.NAME)
    components = analyzer.analyze(list(package.COMPONENTS))["component_definitions"]
    postgres, proxy = components["PostgresService"].inputs, components["ReverseProxy"].inputs
    image = postgres["image"].description
    assert image is not None and image.endswith(f"(default postgres:{package.models.postgres.versions.POSTGRES}).")
    assert proxy["clientMaxBodySize"].description.endswith("(default 1m).")
    assert (
        analyzer.type_definitions["PostgresBackupArgs"]
        .properties["resources"]
        .description.endswith('(default {"memory": "256Mi", "memoryReservation": "64Mi", "cpus": "0.5"}).')
    )


# Outputs: the package's declared outputs against what the library's component registers.
PASSWORD_ROTATED = "the library's ordering handle for its own dependants (rotation done); no value for a user"
NOT_DECLARED: dict[str, dict[str, str]] = {
    "PostgresService": {"password_rotated": PASSWORD_ROTATED},
    "RedisService": {"password_rotated": PASSWORD_ROTATED},
    "PythonApi": {"release": RELEASES + ": the running release is the first of releases"},
    "NextApp": {"release": RELEASES + ": the running release is the first of releases"},
    "ReverseProxy": {"reloaded": "the library's ordering handle (the reload job's completion); no value for a user"},
    "Worker": {"url": "a worker has no port: its url is always unset"},
}
"""Registered outputs the package does not declare, each with why."""

APP_ATTRIBUTES = "read from the component's attributes (provider.get_state); App does not register it"
NOT_REGISTERED: dict[str, dict[str, str]] = {
    "PythonApi": {"alias": APP_ATTRIBUTES, "port": APP_ATTRIBUTES, "upstream": APP_ATTRIBUTES},
    "NextApp": {"alias": APP_ATTRIBUTES, "port": APP_ATTRIBUTES, "upstream": APP_ATTRIBUTES},
    "App": {"alias": APP_ATTRIBUTES, "port": APP_ATTRIBUTES, "proxy_host": APP_ATTRIBUTES, "upstream": APP_ATTRIBUTES},
}
"""Declared outputs the library's component does not register, each with why."""

COMPONENT_INPUTS: dict[str, dict[str, Any]] = {
    "StackNetworks": {},
    "PostgresService": {"network": "back", "app_databases": {"shop": {"database": "shop", "user": "shop"}}},
    "RedisService": {"network": "back"},
    "PythonApi": {
        "build": {"context": "/src/images/api"},
        "database": {"host": "db", "port": 5432, "database": "app", "user": "app", "password": "pw"},
        "redis": {"host": "redis", "port": 6379, "password": "pw"},
        "frontend_network": "front",
        "backend_network": "back",
    },
    "NextApp": {
        "build": {"context": "/src/images/web"},
        "network": "front",
        "api_url": "http://api:8000",
        "public_url": "http://x",
    },
    "App": {"build": {"context": "/src/app"}, "port": 8000, "networks": ["front", "back"]},
    "Worker": {"image": "notes:1", "networks": ["back"], "command": ["celery", "worker"]},
    "ReverseProxy": {
        "build": {"context": "/src/images/proxy"},
        "network": "front",
        "routes": [{"path_prefix": "/", "upstream_host": "web", "upstream_port": 3000}],
    },
    "StandardStack": {
        "settings": {"environment": "dev", "publicUrl": "http://localhost:8080", "protectData": False},
        "source_root": "/src",
    },
}


def registered_outputs(
    component: type[pulumi.ComponentResource], inputs: dict[str, Any]
) -> tuple[set[str], pulumi.ComponentResource]:
    """The keys the component passes to ``register_outputs`` under Pulumi's mocks, and the component."""
    calls: dict[int, set[str]] = {}
    original = pulumi.ComponentResource.register_outputs
    built: list[pulumi.ComponentResource] = []

    def record(self: pulumi.ComponentResource, outputs: Any) -> None:
        calls[id(self)] = set(outputs)
        original(self, outputs)

    pulumi.ComponentResource.register_outputs = record  # type: ignore[method-assign]
    try:
        run_program(RecordingMocks(), {}, stack="test", program=lambda: built.append(component("it", inputs)))
    finally:
        pulumi.ComponentResource.register_outputs = original  # type: ignore[method-assign]
    return calls[id(built[0])], built[0]


@pytest.mark.parametrize("component", package.COMPONENTS, ids=[c.__name__ for c in package.COMPONENTS])
def test_a_component_declares_the_outputs_it_registers_but_the_listed_exceptions(component):
    name = component.__name__
    declared = set(
        models.ModelAnalyzer(package.NAME).analyze([component])["component_definitions"][name].outputs_mapping.values()
    )
    registered, built = registered_outputs(component, COMPONENT_INPUTS[name])
    not_declared, not_registered = set(NOT_DECLARED.get(name, {})), set(NOT_REGISTERED.get(name, {}))
    assert not_declared <= registered and not (not_registered & registered), "stale exceptions"
    assert declared == (registered - not_declared) | not_registered
    assert all(getattr(built, attribute, None) is not None for attribute in not_registered), "the provider reads them"
