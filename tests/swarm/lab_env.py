"""Where the host reaches the lab: scripts/swarm-lab's environment and defaults, read once for every
module here. The lab publishes on a loopback address of its own, not 127.0.0.1 (why: scripts/swarm-lab, ADDRESS)."""

import os

DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
ADDRESS = os.environ.get("SWARM_LAB_ADDRESS", "127.46.0.1")
REGISTRY = f"{ADDRESS}:{os.environ.get('SWARM_LAB_REGISTRY_PORT', '46500')}"  # the lab registry as host and nodes name it
NODE_PORT = int(os.environ.get("SWARM_LAB_PORT", "46080"))  # node i's port 8080 on ADDRESS:NODE_PORT+i
SOCKET = f"unix://{os.environ.get('SWARM_LAB_SOCKET_DIR', '/tmp/swarm-lab')}/docker.sock"  # the manager's engine
