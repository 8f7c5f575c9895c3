"""The stack's two networks: frontend (proxy, web, API) and backend (API and data services, no egress)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker

from ._wiring import Runtime, StrictModel, network_labels


class StackNetworksArgs(StrictModel):
    runtime: Runtime
    backend_internal: bool = True


class StackNetworks(pulumi.ComponentResource):
    """Outputs: ``frontend`` and ``backend`` network names, ``frontend_subnet`` (the proxy's network)."""

    def __init__(self, name: str, args: StackNetworksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:StackNetworks", name, None, opts)
        runtime = args.runtime
        # Docker names: the first StackNetworks of a stack keeps the plain names; others add their own.
        scope = runtime.prefix if name == "networks" else f"{runtime.prefix}-{name}"
        # Child names carry the component's name so two StackNetworks can live in one program; the
        # aliases keep stacks deployed under the old names ("frontend", "backend") from replacing them.
        self.frontend_network = docker.Network(
            f"{name}-frontend",
            name=f"{scope}-frontend",
            driver="bridge",
            labels=network_labels(runtime, "frontend"),
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="frontend")]),
        )
        self.backend_network = docker.Network(
            f"{name}-backend",
            name=f"{scope}-backend",
            driver="bridge",
            internal=args.backend_internal,
            labels=network_labels(runtime, "backend"),
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="backend")]),
        )
        self.frontend = self.frontend_network.name
        self.backend = self.backend_network.name
        # Docker picks the subnet; apps that trust forwarded headers trust this network only
        self.frontend_subnet: pulumi.Output[str] = self.frontend_network.ipam_configs.apply(_ipv4_subnet)
        self.register_outputs({"frontend": self.frontend, "backend": self.backend, "frontend_subnet": self.frontend_subnet})


def _ipv4_subnet(configs: Sequence[docker.outputs.NetworkIpamConfig] | None) -> str:
    return next((c.subnet for c in configs or [] if c.subnet and ":" not in c.subnet), "")
