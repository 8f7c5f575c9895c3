"""The stack's two networks: frontend (proxy, web, API) and backend (API and data services, no egress)."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from ._wiring import Runtime, StrictModel, network_labels


class StackNetworksArgs(StrictModel):
    runtime: Runtime
    backend_internal: bool = True


class StackNetworks(pulumi.ComponentResource):
    """Outputs: ``frontend`` and ``backend`` network names."""

    def __init__(self, name: str, args: StackNetworksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:StackNetworks", name, None, opts)
        runtime = args.runtime
        self.frontend_network = docker.Network(
            "frontend",
            name=f"{runtime.prefix}-frontend",
            driver="bridge",
            labels=network_labels(runtime, "frontend"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.backend_network = docker.Network(
            "backend",
            name=f"{runtime.prefix}-backend",
            driver="bridge",
            internal=args.backend_internal,
            labels=network_labels(runtime, "backend"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.frontend = self.frontend_network.name
        self.backend = self.backend_network.name
        self.register_outputs({"frontend": self.frontend, "backend": self.backend})
