"""Times the Swarm lab tests measure, shared by the tests and the summary hook in conftest.py."""

TIMINGS: dict[str, float] = {}
