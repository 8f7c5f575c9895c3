"""Pinned default versions, declared once: the component args and the stack settings both read them."""

POSTGRES = "17"
REDIS = "7.4"
PYTHON = "3.12"
NODE = "22"
NGINX = "1.28"
GO = "1.25"
"""Go for App's static env wrapper (env-exec), built in ``golang:<GO>-bookworm``."""
HEALTH_START_INTERVAL = "1s"
"""Health probes this often during a service's start period, where the engine takes it (``engine``): a
service is seen healthy about a second after it is, instead of one full ``interval`` later."""
START_INTERVAL_API = "1.44"
"""The first Engine API version (Docker 25) that takes a health check's ``start_interval``."""
