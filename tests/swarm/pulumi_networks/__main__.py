"""The stack's StackNetworks (components/networks.py) on the lab's manager with target swarm, through the
real pulumi-docker provider (tests/swarm/test_lab.py): the backend overlay encrypted unless config
``backendEncrypted`` is false, as the stack's ``networks.backendEncrypted``, and a service joined to it
by id as the stack's data services are (one task on the manager: this kernel drops encrypted traffic
between nodes)."""

import pulumi
import pulumi_docker as docker

from standard_stack import Runtime, StackNetworks, StackNetworksArgs

config = pulumi.Config()
lab = docker.Provider("lab", host=config.require("dockerHost"))
runtime = Runtime(project="swarm-lab", stack=pulumi.get_stack(), target="swarm")
encrypted = config.get_bool("backendEncrypted")
networks = StackNetworks(
    "networks",
    StackNetworksArgs(runtime=runtime, **({} if encrypted is None else {"backend_encrypted": encrypted})),
    opts=pulumi.ResourceOptions(providers=[lab]),
)
db = docker.Service(
    "db",
    name=f"{runtime.prefix}-db",
    task_spec=docker.ServiceTaskSpecArgs(
        container_spec=docker.ServiceTaskSpecContainerSpecArgs(image="debian:bookworm-slim", commands=["sleep", "infinity"]),
        networks_advanceds=[docker.ServiceTaskSpecNetworksAdvancedArgs(id=networks.backend_id, aliases=["db"])],
        placement=docker.ServiceTaskSpecPlacementArgs(constraints=["node.role==manager"]),
    ),
    endpoint_spec=docker.ServiceEndpointSpecArgs(mode="dnsrr"),
    converge_config=docker.ServiceConvergeConfigArgs(delay="1s", timeout="2m"),
    opts=pulumi.ResourceOptions(provider=lab),
)
pulumi.export("backend", networks.backend)
pulumi.export("db", db.name)
