"""Pinned default versions, declared once: the component args and the stack settings both read them."""

POSTGRES = "17"
REDIS = "7.4"
PYTHON = "3.12"
NODE = "22"
NGINX = "1.28"
