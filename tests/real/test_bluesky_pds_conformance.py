"""The real reference PDS still answers what tests/bluesky_conformance.py records (the table
the sandbox is checked against by tests/functional/test_bluesky_conformance.py)."""

from __future__ import annotations

import aiohttp
import pytest
from bluesky_conformance import EXPECTED, Target, observe
from pds_helpers import RealPDS

pytestmark = pytest.mark.real


async def test_the_real_pds_answers_what_the_table_says(
    real_pds: RealPDS, http: aiohttp.ClientSession
) -> None:
    target = Target(
        url=real_pds.url,
        identifier=real_pds.handle,
        password=real_pds.password,
        did=real_pds.did,
        expired_access_jwt=real_pds.expired_access_jwt,
        service_did=real_pds.service_did,
    )
    seen = await observe(http, target)
    assert seen == EXPECTED
