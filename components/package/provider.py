"""The component provider, with Pulumi's mapping of integer inputs, object inputs and model outputs repaired.

``ComponentProvider.map_input_properties`` (pulumi 3.260.0, ``pulumi/provider/experimental/component.py``)
means to turn integer inputs, which arrive as floats, into ints, but (1) calls ``int(value)`` on an
``Output`` too, which raises: an integer given from another resource's output (a PythonApi's
``database.port`` from a PostgresService's ``port``) would fail the deployment; and (2) then
overwrites the converted value with the float, so ``6379`` reached the library as ``6379.0``.
Integer inputs are set aside, the rest mapped as upstream does, and each put back as an ``int``
(``output.apply(int)`` for an output).

An object given whole as another resource's output (``upstreams: {api: ${api.upstream}}`` in YAML)
arrives as one ``Output`` of a dict (``pulumi/provider/server.py``, ``ProviderServicer._select_value``
keeps deserialized output values as they are), which ``map_input_properties`` maps as if it were empty:
it reads fields only from a ``dict`` (examples/yaml-package's preview failed "Missing required input
'upstreams.api.host'"). Such an object is split into one output per field.

``get_state`` reads each output with ``getattr`` and maps an object output's fields with ``.get``
(``map_complex_output``); the library holds some as its models (``AppService.upstream``, an
``Upstream``), which are read as the dict of their fields, and ``PostgresService.connections`` (app name
-> ``AppDatabaseConnection``) as a dict of such dicts; ``App.release`` (a ``Release``) as its tag.

The schema is analyzed with ``models.ModelAnalyzer``: each input's description ends in its model's default.
"""

import dataclasses
import functools
import json
from typing import Any, cast

import pulumi
from pulumi.provider.experimental.analyzer import ComponentDefinition, PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.provider import Provider as BaseProvider
from pydantic import BaseModel

from ..releases import Release
from .models import ModelAnalyzer


class Provider(ComponentProvider):
    def __init__(
        self, components: list[type[pulumi.ComponentResource]], name: str, namespace: str | None = None, version: str = "0.0.0"
    ) -> None:
        """``ComponentProvider.__init__`` (pulumi 3.260.0, component.py) with ``ModelAnalyzer`` for ``Analyzer``."""
        self._name = name
        self.analyzer = ModelAnalyzer(name)
        result = self.analyzer.analyze(components)
        self._components = {component.__name__: component for component in components}
        self._component_defs = result["component_definitions"]
        self._type_defs = result["type_definitions"]
        self._external_enum_types = result["external_enum_types"]
        self._dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
        schema = generate_schema(name, version, namespace, self._component_defs, self._type_defs, self._dependencies)
        BaseProvider.__init__(self, version, json.dumps(schema.to_json()))

    def map_input_properties(
        self,
        inputs: Any,
        properties: dict[str, PropertyDefinition],
        mapping: dict[str, str],
        component_name: str,
        property_path: str,
    ) -> Any:
        if not isinstance(inputs, dict):
            return super().map_input_properties(inputs, properties, mapping, component_name, property_path)
        inputs = {
            key: self._split_objects(value, properties[key]) if key in properties else value for key, value in inputs.items()
        }
        integers = {
            key: value
            for key, value in inputs.items()
            if value is not None and key in properties and properties[key].type == PropertyType.INTEGER
        }
        given = {key: (0 if key in integers else value) for key, value in inputs.items()}
        mapped = dict(super().map_input_properties(given, properties, mapping, component_name, property_path))
        for key, value in integers.items():
            mapped[mapping[key]] = value.apply(int) if isinstance(value, pulumi.Output) else _integer(value, key)
        return mapped

    def _split_objects(self, value: Any, prop: PropertyDefinition) -> Any:
        """``value`` with each object of a named type that is one output made into a dict of field outputs."""
        if prop.ref:
            return self._split(value, prop)
        if isinstance(value, dict) and prop.additional_properties is not None and prop.additional_properties.ref:
            return {key: self._split(item, prop.additional_properties) for key, item in value.items()}
        return value

    def _split(self, value: Any, prop: PropertyDefinition) -> Any:
        type_def = self.get_type_definition(prop)
        if not isinstance(value, pulumi.Output) or type_def is None or type_def.enum:
            return value
        return {field: value.apply(functools.partial(_field, field=field)) for field in type_def.properties}

    def get_state(self, instance: pulumi.ComponentResource, component_def: ComponentDefinition) -> dict[str, Any]:
        return super().get_state(cast(pulumi.ComponentResource, _ModelsAsDicts(instance)), component_def)


class _ModelsAsDicts:
    """A component whose attributes that are the library's models or dataclasses (or dicts of them) read as
    the dicts of their fields."""

    def __init__(self, component: pulumi.ComponentResource) -> None:
        self._component = component

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._component, name)
        if isinstance(value, dict):
            return {key: _fields(item) for key, item in value.items()}
        return _fields(value)


def _fields(value: Any) -> Any:
    if isinstance(value, Release):
        return value.tag  # App.release: the running release's tag
    if isinstance(value, BaseModel):
        return dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return value


def _field(given: Any, *, field: str) -> Any:
    return given.get(field) if isinstance(given, dict) else None


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{key}: {value!r} is not an integer")
    return int(value)
