"""standard-stack's CrossGuard policy pack: the rules the stack's components are built to satisfy."""

from .pack import PACK_NAME, POLICIES

__all__ = ["PACK_NAME", "POLICIES"]
