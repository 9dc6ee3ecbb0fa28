"""The sandbox answers as the real reference PDS was seen answering (tests/bluesky_conformance.py;
the same table is checked against the real PDS by tests/real/test_bluesky_pds_conformance.py)."""

from __future__ import annotations

import aiohttp
from bluesky_conformance import EXPECTED, Target, observe
from yarl import URL

from asyncmedia.sandbox import Sandbox
from asyncmedia.sandbox.bluesky import BlueskyService


async def test_the_sandbox_answers_what_the_real_pds_answers(sandbox: Sandbox) -> None:
    service = sandbox.service(BlueskyService)
    now = sandbox.clock()
    target = Target(
        url=URL(sandbox.bluesky_url.rstrip("/")),
        identifier=sandbox.bluesky_identifier,
        password=sandbox.bluesky_password,
        did=service.did,
        expired_access_jwt=service.issue_access_token(7200, issued_at=now - 7200),
        service_did=service.service_did,
    )
    async with aiohttp.ClientSession() as http:
        seen = await observe(http, target)
    assert seen == EXPECTED
