"""Fixtures shared by the whole test suite (keep each one small; add more as needed)."""

from __future__ import annotations

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
