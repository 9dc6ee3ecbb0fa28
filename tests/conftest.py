"""Fixtures shared by the whole test suite (keep each one small; add more as needed)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import pytest

from asyncmedia.sandbox import Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A started :class:`~asyncmedia.sandbox.Sandbox` on a free port, closed afterwards."""
    async with Sandbox() as sb:
        yield sb


@pytest.fixture
def sandbox_credentials(sandbox: Sandbox) -> dict[str, str]:
    """The OAuth 1.0a credentials the running ``sandbox`` accepts (a copy)."""
    return dict(sandbox.credentials)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many fuzz cases ran per category (see tests/functional/fuzzing.py)."""
    fuzzing = sys.modules.get("fuzzing")
    counts = getattr(fuzzing, "COUNTS", None)
    if counts:
        terminalreporter.section("fuzz cases per category")
        for category, number in sorted(counts.items()):
            terminalreporter.write_line(f"{category:40} {number}")
