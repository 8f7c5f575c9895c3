"""Program evaluation: `__main__.py` run under the unit tests' mocks (RecordingMocks), dev and prod.

Each run is a fresh interpreter, as `pulumi preview`/`up` starts one: `program_s` is the program
itself (importing components/, validating config, registering every resource, resolving the
exports), `process_s` adds interpreter start-up and importing pulumi, as the parent measured it.
Prod needs its four secrets: plain placeholder values stand in for the encrypted ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from .common import REPO, log, stats


def child(stack: str) -> None:
    """Runs in the fresh interpreter: time one evaluation, print it as JSON."""
    sys.path.insert(0, str(REPO))
    from tests.support.program import RecordingMocks, run_program
    from tests.support.stacks import PROD_SECRETS, stack_config

    secrets = PROD_SECRETS if stack == "prod" else {}
    config = stack_config(REPO / f"Pulumi.{stack}.yaml", overrides=secrets)
    start = time.monotonic()
    mocks = RecordingMocks()
    run_program(mocks, config, stack=stack, secret_keys=list(secrets))
    print(json.dumps({"program_s": time.monotonic() - start, "resources": len(mocks.registered)}))


def measure(reps: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stack in ("dev", "prod"):
        program, process, resources = [], [], 0
        for _ in range(reps):
            start = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "bench.program", stack], cwd=REPO, capture_output=True, text=True, timeout=300
            )
            elapsed = time.monotonic() - start
            if proc.returncode != 0:
                raise RuntimeError(f"program evaluation ({stack}) failed:\n{proc.stderr[-3000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            program.append(result["program_s"])
            process.append(elapsed)
            resources = result["resources"]
        out[stack] = {"program_s": stats(program), "process_s": stats(process), "resources": resources}
        log(
            f"program evaluation {stack}: {out[stack]['program_s']['median']} s "
            f"({out[stack]['process_s']['median']} s with interpreter start-up), {resources} resources"
        )
    return out


if __name__ == "__main__":
    child(sys.argv[1])
