"""The real pulumi-docker provider driving the lab's manager engine (tests/swarm/test_lab.py): an
attachable overlay, a Docker secret from a Pulumi secret, and a 3-replica start-first service.

`image` must be pinned by digest (`name:tag@sha256:...`): the manager records the digest it resolved
in the service spec, and pulumi-docker 5.1.0 then proposes `image: name:tag@sha256:... => name:tag`
on every preview of a tag-only image (measured on the lab; `preview --expect-no-changes` fails).
"""

import base64

import pulumi
import pulumi_docker as docker

config = pulumi.Config()
lab = docker.Provider("lab", host=config.require("dockerHost"))
opts = pulumi.ResourceOptions(provider=lab)
network = docker.Network("app", name="swarm-lab-pulumi", driver="overlay", attachable=True, opts=opts)
password = docker.Secret(
    "password",
    name="swarm-lab-pulumi-password",
    data=config.require_secret("password").apply(lambda value: base64.b64encode(value.encode()).decode()),
    opts=opts,
)
service = docker.Service(
    "web",
    name="lab-pulumi-web",
    task_spec=docker.ServiceTaskSpecArgs(
        container_spec=docker.ServiceTaskSpecContainerSpecArgs(
            image=config.require("image"),
            hostname="{{.Node.Hostname}}-{{.Task.Slot}}",
            secrets=[
                docker.ServiceTaskSpecContainerSpecSecretArgs(
                    secret_id=password.id, secret_name=password.name, file_name="/run/secrets/password"
                )
            ],
        ),
        networks_advanceds=[docker.ServiceTaskSpecNetworksAdvancedArgs(name=network.id)],
    ),
    mode=docker.ServiceModeArgs(replicated=docker.ServiceModeReplicatedArgs(replicas=3)),
    endpoint_spec=docker.ServiceEndpointSpecArgs(mode="dnsrr"),  # VIPs need IPVS (see test_lab.py)
    update_config=docker.ServiceUpdateConfigArgs(order="start-first", parallelism=1, failure_action="rollback"),
    converge_config=docker.ServiceConvergeConfigArgs(delay="1s", timeout="2m"),  # up waits for Running tasks
    opts=opts,
)
pulumi.export("service", service.name)
