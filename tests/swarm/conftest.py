"""The Swarm lab runs only when asked for (`-m swarm`): it starts three engines and takes ports
46080-46082 and 46500, which a bare `pytest` over tests/ must not do behind a CI run's back. Its
measured times are printed after the run, so a spike's figures land in its log."""

import pytest
from lab_timings import TIMINGS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "swarm" in (config.option.markexpr or ""):
        return
    lab = [item for item in items if item.get_closest_marker("swarm")]
    if lab:
        config.hook.pytest_deselected(items=lab)
        items[:] = [item for item in items if not item.get_closest_marker("swarm")]


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    if TIMINGS:
        terminalreporter.section("swarm lab timings")
        for name, value in TIMINGS.items():
            unit = "" if name.endswith("(count)") else " s"
            terminalreporter.write_line(f"{name:<45} {value:7.1f}{unit}")
