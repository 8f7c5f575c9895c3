"""Real-engine apply harness: run a Pulumi program under mocks that apply to the local Docker engine.

    from harness import run_program, destroy
    result = run_program(program_dir, [base_yaml, overrides_yaml], state_path, stack="dev")
    ...
    destroy(state_path, include_protected=True)

See tests/e2e/README.md for what is mirrored from pulumi-docker and what is not.
"""

from .engine import EngineMocks, EngineMonitor, ResourceFailed
from .handlers.base import LABEL_KEY
from .runner import DeployFailed, RunResult, destroy, load_config, remove_labelled, run_program
from .state import State

__all__ = [
    "LABEL_KEY",
    "DeployFailed",
    "EngineMocks",
    "EngineMonitor",
    "ResourceFailed",
    "RunResult",
    "State",
    "destroy",
    "load_config",
    "remove_labelled",
    "run_program",
]
