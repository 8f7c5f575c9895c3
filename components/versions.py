"""Pinned default versions, declared once: the component args and the stack settings both read them."""

POSTGRES = "17"
REDIS = "7.4"
PYTHON = "3.12"
NODE = "22"
NGINX = "1.28"
GO = "1.25"
"""Go for App's static env wrapper (env-exec), built in ``golang:<GO>-bookworm``."""
