"""Each per-service example runs to completion against the embedded sandbox (no credentials)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("update_with_media.py", ["tweet ", "Hello from asyncmedia ✓ — a & b = c + 100%"]),
        ("twitpic_upload.py", ["TwitPic photo ", "320x200 png", "@sandbox"]),
        ("twitrpix_upload.py", ["ping: pong", "TwitrPix media ", "thumb http://img.twitrpix.com/"]),
        ("statusnet_update.py", ["notice ", "Ünïcödé & co ✓", "…and a picture http://"]),
        ("x_v2_upload.py", ["media_key=3_"]),
        ("mastodon_upload.py", ["video: id="]),
        ("bluesky_upload.py", ['"$link": "bafkrei']),
    ],
)
def test_example_runs_against_the_sandbox(script: str, expected: list[str]) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONIOENCODING": "utf-8",
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = done.stdout.decode("utf-8")
    err = done.stderr.decode("utf-8")
    assert done.returncode == 0, err
    assert "embedded sandbox" in out + err
    for text in expected:
        assert text in out, out
