"""The pytest plugin's Bluesky fixture: a logged-in client whose posts the sandbox records."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
from pathlib import Path

from sybil import Sybil
from sybil.parsers.rest import PythonCodeBlockParser

from asyncmedia import BlueskyClient
from asyncmedia.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 30, 20) + b"\x02" * 2000


async def test_bluesky_fixture_posts_into_sandbox_posts(
    asyncmedia_bluesky: BlueskyClient, asyncmedia_sandbox: Sandbox
) -> None:
    post = await asyncmedia_bluesky.post("from a fixture", media=[PNG], alt_texts=["plugin"])
    (published,) = asyncmedia_sandbox.posts
    assert (published.service, published.text, published.alt_texts) == (
        "bluesky",
        "from a fixture",
        ("plugin",),
    )
    assert published.media_ids == (post.media[0].ref,)
    assert asyncmedia_sandbox.bluesky is not None
    blob = asyncmedia_sandbox.bluesky.blobs[post.media[0].ref]
    assert blob.sha256 == hashlib.sha256(PNG).hexdigest()
    assert published.raw["embed"]["images"][0]["aspectRatio"] == {"width": 30, "height": 20}


def test_the_docs_bluesky_bot_example_runs(tmp_path: Path) -> None:
    """The ``test_bluesky_bot.py`` of docs/sandbox.rst passes in a project of its own."""
    document = Sybil([PythonCodeBlockParser()]).parse(ROOT / "docs" / "sandbox.rst")
    (source,) = [
        str(example.parsed)
        for example in document.examples()
        if str(example.parsed).startswith("# test_bluesky_bot.py")
    ]
    (tmp_path / "test_bluesky_bot.py").write_text(source, encoding="utf-8")
    (tmp_path / "cat.png").write_bytes(PNG)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bluesky_bot.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
