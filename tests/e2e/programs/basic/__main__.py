"""Synthetic program for the harness self-tests: one container, knobs from config."""
import json

import pulumi
import pulumi_docker as docker

cfg = pulumi.Config()
image = cfg.get("image") or "debian:bookworm-slim"
env = cfg.get("env") or "A=1"
c = docker.Container(
    "app",
    image=image,
    envs=[env],
    command=["sh", "-c", "touch /tmp/ready; exec sleep infinity"],
    healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD-SHELL", "test -f /tmp/ready"], interval="1s", timeout="2s", retries=3),
    wait=True,
    wait_timeout=30,
)
pulumi.export("name", c.name)
pulumi.export("id", c.id)
