"""The stack's StackNetworks (components/networks.py) on the lab's manager with target swarm, through the
real pulumi-docker provider (tests/swarm/test_lab.py): the backend overlay encrypted unless config
``backendEncrypted`` is false, as the stack's ``networks.backendEncrypted``."""

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
pulumi.export("backend", networks.backend)
