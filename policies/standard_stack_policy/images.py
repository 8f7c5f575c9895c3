"""Images are pinned: a reference names a version or a digest, never ``latest`` or nothing.

Covers RemoteImage ``name``, Image ``imageName``, Container ``image`` and a one-shot run's ``spec.Image``
(read as a container's, ``props.container_inputs``). A container or run that runs an image id
(``sha256:...``) is pinned by construction: that is how the stack's components refer to the images they
pull or build.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import ResourceValidationArgs

from .props import IMAGE, REMOTE_IMAGE, container_inputs, describe, plain, reveal

Report = Callable[..., None]
_FIELDS = {REMOTE_IMAGE: "name", IMAGE: "imageName"}


def unpinned_reason(reference: str) -> str | None:
    """Why ``reference`` is not pinned, or None when it is."""
    if reference.startswith("sha256:") or "@sha256:" in reference:
        return None
    last = reference.rsplit("/", 1)[-1]  # a registry host may carry a port: registry:5000/app
    if ":" not in last:
        return "has no tag (Docker reads that as latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the tag latest"
    return None


def validate_pinned_image(args: ResourceValidationArgs, report_violation: Report) -> None:
    container = container_inputs(args.resource_type, args.props)
    if container is not None:
        reference = reveal(container.get("image"))
    elif args.resource_type in _FIELDS:
        reference = reveal(plain(args.props).get(_FIELDS[args.resource_type]))
    else:
        return
    if not isinstance(reference, str) or not reference:
        return  # unknown during preview: an image id from another resource, checked there
    reason = unpinned_reason(reference)
    if reason:
        report_violation(
            f"{describe(args.resource_type, args.name)} image '{reference}' {reason}. "
            "Fix: pin a version tag (postgres:17, redis:7.4) or a digest (name@sha256:...)."
        )
