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
``Upstream``), which are read as the dict of their fields.
"""

import functools
from typing import Any, cast

import pulumi
from pulumi.provider.experimental.analyzer import ComponentDefinition, PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider
from pydantic import BaseModel


class Provider(ComponentProvider):
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
    """A component whose attributes that are the library's models read as the dicts of their fields."""

    def __init__(self, component: pulumi.ComponentResource) -> None:
        self._component = component

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._component, name)
        return dict(value) if isinstance(value, BaseModel) else value


def _field(given: Any, *, field: str) -> Any:
    return given.get(field) if isinstance(given, dict) else None


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{key}: {value!r} is not an integer")
    return int(value)
