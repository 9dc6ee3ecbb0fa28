"""Every example runs once against the embedded sandbox, as a user would start it."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def clean_env() -> dict[str, str]:
    """The environment without any ASYNCMEDIA_* credentials: examples fall back to the sandbox."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMEDIA_")}


async def run_example(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=EXAMPLES,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_bot_posts_and_stops() -> None:
    code, out, err = await run_example("bot.py", "--interval", "0", "--count", "2")
    assert code == 0, err
    assert "posted picture 1: media " in out and "posted picture 2: media " in out
    assert out.rstrip().endswith("bot: stopped")


async def test_bot_shuts_down_gracefully_on_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        "--interval",
        "10",
        cwd=EXAMPLES,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines = []
    while not any("posted picture 1" in line for line in lines):
        lines.append((await asyncio.wait_for(proc.stdout.readline(), 30)).decode())
    proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert "bot: stopped" in out.decode()


async def test_batch_upload(tmp_path: Path) -> None:
    code, out, err = await run_example("batch_upload.py", "--concurrency", "4")
    assert code == 0, err
    assert out.rstrip().endswith("12 of 12 uploaded")
    assert out.count("card-") == 12


@pytest.fixture
async def proxy(unused_tcp_port: int) -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "aiohttp_proxy.py",
        "--port",
        str(unused_tcp_port),
        cwd=EXAMPLES,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = ""
        while "Running on" not in line:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, "the proxy exited early"
        yield f"http://127.0.0.1:{unused_tcp_port}/"
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0


async def test_aiohttp_proxy_streams_form_and_raw_uploads(proxy: str) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(300_000)
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(6 * 1024 * 1024)
    async with aiohttp.ClientSession() as session:
        async with session.get(proxy) as resp:
            assert "multipart/form-data" in await resp.text()
        form = aiohttp.FormData()
        form.add_field("alt_text", "a test card")
        form.add_field("media", png, filename="card.png", content_type="image/png")
        async with session.post(proxy + "upload", data=form) as resp:
            body = await resp.json()
        assert resp.status == 200, body
        (item,) = body["uploaded"]
        assert item["filename"] == "card.png" and item["size"] == len(png)
        async with session.post(
            proxy + "upload/raw?name=clip.mp4",
            data=io.BytesIO(mp4),
            headers={"Content-Type": "video/mp4"},
        ) as resp:
            raw = await resp.json()
        assert resp.status == 200, raw
        assert raw["size"] == len(mp4) and raw["media_type"] == "video/mp4"
        async with session.post(proxy + "upload/raw", data=b"") as resp:
            assert resp.status == 400
            assert "empty" in (await resp.json())["error"]


async def test_post_bot_posts_a_picture_on_the_three_services() -> None:
    code, out, err = await run_example("post_bot.py", "--once")
    assert code == 0, out + err
    assert "bot: x2: posted https://x.com/i/web/status/" in out, out
    assert "bot: mastodon: posted http://127.0.0.1:" in out, out
    assert "bot: bluesky: posted https://bsky.app/profile/did:" in out, out
    assert out.rstrip().endswith("bot: stopped")
