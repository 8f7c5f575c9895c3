"""The component provider, with Pulumi's integer inputs repaired.

``ComponentProvider.map_input_properties`` (pulumi 3.260.0, ``pulumi/provider/experimental/component.py``)
means to turn integer inputs, which arrive as floats, into ints, but (1) calls ``int(value)`` on an
``Output`` too, which raises: an integer given from another resource's output (a PythonApi's
``database.port`` from a PostgresService's ``port``) would fail the deployment; and (2) then
overwrites the converted value with the float, so ``6379`` reached the library as ``6379.0``.
Integer inputs are set aside, the rest mapped as upstream does, and each put back as an ``int``
(``output.apply(int)`` for an output).
"""

from typing import Any

import pulumi
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider


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


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{key}: {value!r} is not an integer")
    return int(value)
