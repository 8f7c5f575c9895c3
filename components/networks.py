"""The stack's two networks: frontend (proxy, web, API) and backend (API and data services, no egress).

On ``runtime.target == "swarm"`` both are attachable overlays spanning the nodes: services join them
by id (``frontend_id``, ``backend_id``), and the one-off jobs, plain containers on the manager, by name.
The backend carries database and Redis passwords between nodes, so its overlay is encrypted unless
``backend_encrypted`` is false (a kernel without ESP/AES-GCM drops encrypted traffic between nodes);
unencrypted, it is named ``<project>-<stack>-backend-unencrypted``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker
from pydantic import Field

from ._containers import network_labels
from ._models import CamelModel, Runtime

# Docker's overlay driver encrypts a network that has this option at all, whatever its value
# (moby libnetwork drivers/overlay, CreateNetwork: `if _, ok := optMap[secureOption]; ok`), so "off"
# omits it; the value is the docker CLI's for a bare `--opt encrypted`.
ENCRYPTED = {"encrypted": ""}
# The provider reads a network's options back from the engine (terraform-provider-docker
# internal/provider/resource_docker_network_funcs.go, resourceDockerNetworkReadRefreshFunc:
# d.Set("options", retNetwork.Options)), and Swarm adds the VXLAN id it allocated. ``options`` is
# Optional+Computed+ForceNew in its schema (resource_docker_network.go): unset, the read-back is kept;
# set, the extra key reads as a removal that replaces the network on every preview (terraform-plugin-sdk
# schemaMap.diffMap). The bridge drops diff entries under an ignoreChanges path (pulumi-terraform-bridge
# pkg/tfbridge/diff.go, computeIgnoreChanges, paths spelled as visitPropertyValue spells them), so only
# that key is ignored.
VXLAN_ID = 'options.["com.docker.network.driver.overlay.vxlanid_list"]'
# Unset options are no diff either (Optional+Computed), so turning encryption off would change nothing
# on a deployed network (measured on the lab: "5 unchanged"). An unencrypted backend on swarm has a name
# of its own instead, so the setting's change replaces the network (name is ForceNew), created first
# (Swarm refuses two networks of one name, "network with name ... already exists"), then the services
# move to it (a network id is ForceNew in a service's task spec: they are replaced), then the old one
# goes. Created first only when said so: a fixed name on an auto-namable resource makes the bridge ask
# for delete-first (pulumi-terraform-bridge pkg/tfbridge/schema.go, nameRequiresDeleteBeforeReplace;
# tools/pulumi-resource-docker sets autonaming), and Swarm refuses to delete a network a service uses
# ("network ... is in use by service"); the engine lets the resource option decide (pulumi
# pkg/resource/deploy/step_generator.go: goal.DeleteBeforeReplace over the provider's answer).
UNENCRYPTED_SUFFIX = "-unencrypted"


class NetworkOptions(CamelModel):
    """What a stack chooses about its networks; the stack file's ``networks`` section is this model."""

    backend_internal: bool = Field(True, description="Backend network has no egress and no published ports (data services).")
    backend_encrypted: bool = Field(
        True,
        description="target: swarm: the backend overlay's traffic between nodes is encrypted (IPsec; every node's kernel "
        "needs ESP and AES-GCM); false where it lacks them (the network is then <project>-<stack>-backend-unencrypted, "
        "and a change replaces it). Ignored on target: host (a bridge stays on its host).",
    )


class StackNetworksArgs(NetworkOptions):
    runtime: Runtime


class StackNetworks(pulumi.ComponentResource):
    """Outputs: ``frontend`` and ``backend`` network names, ``frontend_subnet`` (the proxy's network).

    Attributes: ``frontend_id`` and ``backend_id`` (what Swarm services join by)."""

    def __init__(self, name: str, args: StackNetworksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:StackNetworks", name, None, opts)
        runtime = args.runtime
        # Docker names: the first StackNetworks of a stack keeps the plain names; others add their own.
        scope = runtime.prefix if name == "networks" else f"{runtime.prefix}-{name}"
        swarm = runtime.target == "swarm"
        driver = {"driver": "overlay", "attachable": True} if swarm else {"driver": "bridge"}
        encrypted = swarm and args.backend_encrypted
        backend_name = f"{scope}-backend" + (UNENCRYPTED_SUFFIX if swarm and not encrypted else "")
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
            name=backend_name,
            **driver,
            internal=args.backend_internal,
            options=ENCRYPTED if encrypted else None,
            labels=network_labels(runtime, "backend"),
            opts=pulumi.ResourceOptions(
                parent=self,
                aliases=[pulumi.Alias(name="backend")],
                ignore_changes=[VXLAN_ID] if encrypted else None,
                delete_before_replace=False if swarm else None,
            ),
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
