"""Each service example runs to completion against the embedded sandbox (no credentials)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "expect"),
    [
        ("x_v2_upload.py", "media_key=3_"),
        ("mastodon_upload.py", "video: id="),
        ("bluesky_upload.py", '"$link": "bafkrei'),
    ],
)
def test_example_runs_against_the_sandbox(script: str, expect: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "embedded sandbox" in result.stdout
    assert expect in result.stdout
