"""The stack's two networks: frontend (proxy, web, API) and backend (API and data services, no egress).

On ``runtime.target == "swarm"`` both are attachable overlays spanning the nodes: services join them
by id (``frontend_id``, ``backend_id``), and the one-off jobs, plain containers on the manager, by name.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker

from ._wiring import Runtime, StrictModel, network_labels


class StackNetworksArgs(StrictModel):
    runtime: Runtime
    backend_internal: bool = True


class StackNetworks(pulumi.ComponentResource):
    """Outputs: ``frontend`` and ``backend`` network names, ``frontend_subnet`` (the proxy's network);
    attributes ``frontend_id`` and ``backend_id`` (what Swarm services join by)."""

    def __init__(self, name: str, args: StackNetworksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:StackNetworks", name, None, opts)
        runtime = args.runtime
        # Docker names: the first StackNetworks of a stack keeps the plain names; others add their own.
        scope = runtime.prefix if name == "networks" else f"{runtime.prefix}-{name}"
        # Not encrypted (``--opt encrypted``) yet: it needs ESP/GCM in every node's kernel, which the lab
        # lacks (tests/swarm/README.md), and the provider reads driver options back (the overlay's
        # vxlanid_list among them; resource_docker_network_funcs.go, resourceDockerNetworkReadRefreshFunc),
        # a diff to prove against a real Swarm first, since ``options`` forces a replacement.
        driver = {"driver": "overlay", "attachable": True} if runtime.target == "swarm" else {"driver": "bridge"}
        # Child names carry the component's name so two StackNetworks can live in one program; the
        # aliases keep stacks deployed under the old names ("frontend", "backend") from replacing them.
        self.frontend_network = docker.Network(
            f"{name}-frontend",
            name=f"{scope}-frontend",
            **driver,
            labels=network_labels(runtime, "frontend"),
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="frontend")]),
        )
        self.backend_network = docker.Network(
            f"{name}-backend",
            name=f"{scope}-backend",
            **driver,
            internal=args.backend_internal,
            labels=network_labels(runtime, "backend"),
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="backend")]),
        )
        self.frontend = self.frontend_network.name
        self.backend = self.backend_network.name
        self.frontend_id: pulumi.Output[str] = self.frontend_network.id
        self.backend_id: pulumi.Output[str] = self.backend_network.id
        # Docker picks the subnet; apps that trust forwarded headers trust this network only
        self.frontend_subnet: pulumi.Output[str] = self.frontend_network.ipam_configs.apply(_ipv4_subnet)
        self.register_outputs({"frontend": self.frontend, "backend": self.backend, "frontend_subnet": self.frontend_subnet})


def _ipv4_subnet(configs: Sequence[docker.outputs.NetworkIpamConfig] | None) -> str:
    return next((c.subnet for c in configs or [] if c.subnet and ":" not in c.subnet), "")
