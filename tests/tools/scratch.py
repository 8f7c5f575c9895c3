"""The environment of a scratch Pulumi project run by the built CLI: only .tools/bin's binaries, own home, backend."""

import os
from pathlib import Path

BIN = Path(__file__).resolve().parents[2] / ".tools" / "bin"


def cli_env(home: Path, backend_url: str, passphrase: str) -> dict[str, str]:
    """This process's environment without any PULUMI_* setting of the caller, then the scratch project's own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")} | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": backend_url,
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "1",
    }
