"""Each component's outputs are declared once, by ``register_outputs``; its docstring is held to them.

A docstring's ``Outputs:`` names exactly what the component registers on a host or on Swarm (ordering
handles included: dependants of the component wait for them), and its ``Attributes:`` name what a program
reads from the object without it being registered. A class names only what it adds to the class it extends
(``PythonApi`` adds an attribute to ``App``'s). docs/architecture.md's list of the stack's outputs is held to
``StandardStack`` the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from standard_stack import (
    App,
    AppArgs,
    NextApp,
    NextAppArgs,
    PostgresService,
    PostgresServiceArgs,
    PythonApi,
    RedisService,
    RedisServiceArgs,
    ReverseProxy,
    Runtime,
    StackNetworks,
    StackNetworksArgs,
    StackSettings,
    StandardStack,
    StandardStackArgs,
    Worker,
    WorkerArgs,
)
from tests.support.program import RecordingMocks, run_program
from tests.support.stacks import REPO
from tests.unit.components.harness import RUNTIME, SWARM, api_args, proxy_args, swarm_api_args

Build = Callable[[Runtime], pulumi.ComponentResource]
IMAGE = "ghcr.io/example/notes:1.4.2"
ON_SWARM = {"registry": "127.0.0.1:46500/team"}


def _web(runtime: Runtime) -> NextApp:
    on_swarm = {**ON_SWARM, "network_id": "front-id"} if runtime.target == "swarm" else {}
    args = NextAppArgs(runtime=runtime, network="front", api_url="http://api:8000", public_url="http://x", **on_swarm)
    return NextApp("it", args)


def _proxy(runtime: Runtime) -> ReverseProxy:
    on_swarm = {**ON_SWARM, "network_id": "front-id", "bind_address": "0.0.0.0"} if runtime.target == "swarm" else {}
    return ReverseProxy("it", proxy_args(runtime=runtime, **on_swarm))


def _stack(runtime: Runtime) -> StandardStack:
    settings = StackSettings(environment="dev", public_url="http://localhost:45080", proxy={"http_port": 45080})
    return StandardStack("it", StandardStackArgs(settings=settings, project="shop", stack="dev"))


BUILDS: dict[type[pulumi.ComponentResource], dict[str, Build]] = {
    StackNetworks: {
        "host": lambda runtime: StackNetworks("it", StackNetworksArgs(runtime=runtime)),
        "swarm": lambda runtime: StackNetworks("it", StackNetworksArgs(runtime=runtime)),
    },
    PostgresService: {
        "host": lambda runtime: PostgresService("it", PostgresServiceArgs(runtime=runtime, network="back")),
        "swarm": lambda runtime: PostgresService("it", PostgresServiceArgs(runtime=runtime, network="back", network_id="b")),
    },
    RedisService: {
        "host": lambda runtime: RedisService("it", RedisServiceArgs(runtime=runtime, network="back")),
        "swarm": lambda runtime: RedisService("it", RedisServiceArgs(runtime=runtime, network="back", network_id="b")),
    },
    App: {
        "host": lambda runtime: App("it", AppArgs(runtime=runtime, image=IMAGE, port=8000, networks=["front"])),
        "swarm": lambda runtime: App("it", AppArgs(runtime=runtime, image=IMAGE, port=8000, networks=["f"], network_ids=["f"])),
    },
    Worker: {
        "host": lambda runtime: Worker("it", WorkerArgs(runtime=runtime, image=IMAGE, networks=["back"], command=["w"])),
        "swarm": lambda runtime: Worker(
            "it", WorkerArgs(runtime=runtime, image=IMAGE, networks=["b"], network_ids=["b"], command=["w"])
        ),
    },
    PythonApi: {
        "host": lambda runtime: PythonApi("it", api_args(runtime=runtime)),
        "swarm": lambda runtime: PythonApi("it", swarm_api_args(runtime=runtime)),
    },
    NextApp: {"host": _web, "swarm": _web},
    ReverseProxy: {"host": _proxy, "swarm": _proxy},
    StandardStack: {"host": _stack},  # on swarm: tests/unit/components/test_standard_stack.py
}
RUNTIMES = {"host": RUNTIME, "swarm": SWARM}


def registered_outputs(component: type[pulumi.ComponentResource]) -> set[str]:
    """The keys ``component`` passes to ``register_outputs`` on each target it runs on, under Pulumi's mocks."""
    keys: set[str] = set()
    original = pulumi.ComponentResource.register_outputs

    def record(self: pulumi.ComponentResource, outputs: Any) -> None:
        if type(self) is component:
            keys.update(outputs)
        original(self, outputs)

    pulumi.ComponentResource.register_outputs = record  # type: ignore[method-assign]
    try:
        for target, build in BUILDS[component].items():
            run_program(RecordingMocks(), {}, stack="test", program=lambda b=build, t=target: b(RUNTIMES[t]))
    finally:
        pulumi.ComponentResource.register_outputs = original  # type: ignore[method-assign]
    return keys


def _names(text: str) -> set[str]:
    """The ``names`` of a list, leaving out those inside parentheses (explanations, not entries)."""
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return set(re.findall(r"``(\w+)``", text))


def _list(doc: str, heading: str) -> set[str]:
    found = re.search(rf"{heading}:(.*?)(?:\n\s*\n|Attributes:|Outputs:|$)", doc, re.DOTALL)
    return _names(found.group(1)) if found else set()


def documented(component: type) -> tuple[set[str], set[str]]:
    """(outputs, attributes) the docstrings of ``component`` and of the classes it extends name: a class lists
    only what it adds (``PostgresService`` adds ``database`` to the outputs of every data service)."""
    lists = [
        (_list(doc, "Outputs"), _list(doc, "Attributes")) for doc in (c.__dict__.get("__doc__") or "" for c in component.__mro__)
    ]
    outputs, attributes = set().union(*(o for o, _ in lists)), set().union(*(a for _, a in lists))
    assert outputs, f"{component.__name__}: neither it nor a class it extends documents its outputs"
    return outputs, attributes


COMPONENTS = list(BUILDS)
IDS = [c.__name__ for c in COMPONENTS]


@pytest.mark.parametrize("component", COMPONENTS, ids=IDS)
def test_a_component_registers_every_output_its_docstring_names(component):
    outputs, _ = documented(component)
    assert outputs - registered_outputs(component) == set()


@pytest.mark.parametrize("component", COMPONENTS, ids=IDS)
def test_a_components_docstring_names_every_output_it_registers(component):
    outputs, _ = documented(component)
    assert registered_outputs(component) - outputs == set()


@pytest.mark.parametrize("component", COMPONENTS, ids=IDS)
def test_every_attribute_a_components_docstring_names_is_set_on_a_host(component):
    _, attributes = documented(component)
    built: list[Any] = []
    run_program(RecordingMocks(), {}, stack="test", program=lambda: built.append(BUILDS[component]["host"](RUNTIME)))
    assert {a for a in attributes if not hasattr(built[0], a)} == set()


def test_the_architecture_doc_lists_the_outputs_the_stack_registers():
    text = (REPO / "docs" / "architecture.md").read_text()
    listed = re.search(r"`StandardStack`.*?with the outputs this program exports \(([^)]*)\)", text, re.DOTALL)
    assert listed, "docs/architecture.md no longer lists the stack's outputs where this test looks"
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == registered_outputs(StandardStack)


def _markdown_names(text: str) -> set[str]:
    """The `names` of a Markdown table cell, leaving out those inside parentheses."""
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return set(re.findall(r"`(\w+)`", text))


def _readme_row(component: type) -> str:
    text = (REPO / "README.md").read_text()
    row = re.search(rf"^\| `{component.__name__}` \|.*\| ([^|]*) \|$", text, re.MULTILINE)
    assert row, f"README.md's Components table has no row for {component.__name__}"
    return row.group(1)


@pytest.mark.parametrize("component", [c for c in COMPONENTS if c is not StandardStack], ids=IDS[:-1])
def test_the_readme_components_table_lists_the_outputs_each_component_registers(component):
    outputs, _, attributes = _readme_row(component).partition("; attribute")
    if outputs == "`App`'s":
        outputs = _readme_row(App)
        outputs = outputs.partition("; attribute")[0]
    assert _markdown_names(outputs) == registered_outputs(component)
    assert _markdown_names(attributes) <= documented(component)[1]
