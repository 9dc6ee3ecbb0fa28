"""The pytest11 plugin, as a user would meet it: a separate project's test run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from asyncmedia import MediaClient
from asyncmedia.sandbox import Sandbox

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 2000


async def test_fixtures_in_this_run(
    asyncmedia_client: MediaClient, asyncmedia_sandbox: Sandbox
) -> None:
    media = await asyncmedia_client.upload_media(PNG, alt_text="plugin")
    record = asyncmedia_sandbox.uploads[media.media_id]
    assert record.media_type == "image/png" and record.alt_text == "plugin"


def test_plugin_is_found_through_its_entry_point(tmp_path: Path) -> None:
    test_file = tmp_path / "test_bot.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import hashlib

            async def post_picture(client):
                return await client.upload_media(b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x02" * 999)

            async def test_bot(asyncmedia_client, asyncmedia_sandbox):
                media = await post_picture(asyncmedia_client)
                data = b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x02" * 999
                expected = hashlib.sha256(data).hexdigest()
                assert asyncmedia_sandbox.uploads[media.media_id].sha256 == expected
            """
        )
    )
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
