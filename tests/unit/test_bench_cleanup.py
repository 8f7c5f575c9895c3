"""bench/cli: the benchmarks remove the image tags their stacks made, and only those.

Images are tagged ``<stack>-<content digest>``; the stack's destroy leaves a tag whose image another tag
shares (the same content built for another stack), so the clean-up untags them by the stack's name.
"""

from __future__ import annotations

from bench.cli import stack_tags


def test_the_clean_up_untags_the_stacks_release_tags_and_no_others():
    refs = [
        "standard-stack-proxy:prod-healthy-bench-4640b4c6e8f3",
        "standard-stack-proxy:prod-healthy-bench",
        "standard-stack-proxy:prod-4640b4c6e8f3",
        "standard-stack-proxy:prod-healthy-bench2-4640b4c6e8f3",
    ]
    assert stack_tags(refs, "prod-healthy-bench") == refs[:2]
