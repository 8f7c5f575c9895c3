"""Prints the Swarm lab's measured times after the run, so a spike's figures land in its log."""

from lab_timings import TIMINGS


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    if TIMINGS:
        terminalreporter.section("swarm lab timings")
        for name, value in TIMINGS.items():
            unit = "" if name.endswith("(count)") else " s"
            terminalreporter.write_line(f"{name:<45} {value:7.1f}{unit}")
