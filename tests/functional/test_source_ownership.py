"""An opened MediaSource handed to ``upload_media`` is closed by it — also when refused early.

Found by the usability review (``asyncmedia upload --alt-text <1001 characters>`` leaked the
file it had opened to check the media kind: a ResourceWarning).  ``MediaClient.upload_media``
closes a given :class:`~asyncmedia.MediaSource` once it has uploaded it (``self.prepared``),
but ``media_rules.check_alt_text`` and the ``chunk_size`` check run before that context is
entered (``asyncmedia/client.py``, start of ``upload_media``), so a refused call leaves it open.
Both paths now close it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncmedia import MediaClient
from asyncmedia.sandbox import Sandbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def test_a_refused_upload_closes_the_source_as_a_successful_one_does(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    async with (
        Sandbox() as sb,
        MediaClient(**sb.credentials, upload_url=sb.url, api_url=sb.url) as client,
    ):
        uploaded = await client.open_source(str(path))
        await client.upload_media(uploaded, alt_text="A cat")
        assert uploaded.closed  # the success path takes the source over
        refused = await client.open_source(str(path))
        try:
            with pytest.raises(ValueError, match="1001 characters"):
                await client.upload_media(refused, alt_text="x" * 1001)
            assert refused.closed
        finally:
            await refused.aclose()
