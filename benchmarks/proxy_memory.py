"""Peak memory of examples/aiohttp_proxy.py while it streams uploads onward.

    python benchmarks/proxy_memory.py [--sizes 10,100]

Runs the sandbox (the "service") in its own process and, for each size and each way in, a
fresh proxy process pointed at it through ``ASYNCMEDIA_*`` variables: posts a synthetic MP4 of
that many MB to ``/upload/raw`` (streamed onward) or ``/upload`` (a multipart form field,
spooled to a temporary file first) and prints the proxy's peak RSS (``VmHWM`` from /proc).
Flat figures mean the proxy never holds a whole file.
"""

# ruff: noqa: ASYNC230, ASYNC240 - a measuring script, not library code

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import tempfile
from pathlib import Path

import aiohttp

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MIB = 1024 * 1024


def vm(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def synthetic_mp4(path: Path, size: int) -> None:
    head = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    block = hashlib.sha512(b"proxy").digest() * (MIB // 64)
    with open(path, "wb") as fh:
        fh.write(head)
        left = size - len(head)
        while left > 0:
            fh.write(block[: min(left, len(block))])
            left -= min(left, len(block))


async def file_chunks(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        while chunk := fh.read(256 * 1024):
            yield chunk


async def start(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGINT)
    await proc.wait()


async def measure(
    session: aiohttp.ClientSession, env: dict[str, str], path: Path, mode: str
) -> float:
    """Peak RSS (MiB) of a fresh proxy process that forwarded ``path`` once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proxy = await start(str(EXAMPLES / "aiohttp_proxy.py"), "--port", str(port), env=env)
    assert proxy.stdout is not None
    try:
        while b"Running on" not in await proxy.stdout.readline():
            pass
        base = f"http://127.0.0.1:{port}/"
        size = path.stat().st_size
        if mode == "raw":
            headers = {"Content-Type": "video/mp4", "Content-Length": str(size)}
            async with session.post(
                base + "upload/raw?name=clip.mp4", data=file_chunks(path), headers=headers
            ) as r:
                assert r.status == 200, await r.text()
        else:
            with open(path, "rb") as fh:
                form = aiohttp.FormData()
                form.add_field("media", fh, filename="clip.mp4", content_type="video/mp4")
                async with session.post(base + "upload", data=form) as r:
                    assert r.status == 200, await r.text()
        return vm(proxy.pid, "VmHWM")
    finally:
        await stop(proxy)


async def main(sizes: list[int]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMEDIA_")}
    # The service runs in its own process, as it would in production: the proxy's memory is
    # then the proxy's and its client's alone.
    sandbox = await start("-m", "asyncmedia", "sandbox", env=env)
    assert sandbox.stdout is not None
    lines: list[bytes] = []
    while not lines or lines[-1] != b"}\n":
        lines.append(await sandbox.stdout.readline())
    twitter = json.loads(b"".join(lines))["twitter"]
    env.update(
        ASYNCMEDIA_CONSUMER_KEY=twitter["consumer_key"],
        ASYNCMEDIA_CONSUMER_SECRET=twitter["consumer_secret"],
        ASYNCMEDIA_ACCESS_TOKEN=twitter["access_token"],
        ASYNCMEDIA_ACCESS_TOKEN_SECRET=twitter["access_token_secret"],
        ASYNCMEDIA_UPLOAD_URL=twitter["upload_url"],
        ASYNCMEDIA_API_URL=twitter["api_url"],
    )
    try:
        async with aiohttp.ClientSession() as session:
            with tempfile.TemporaryDirectory() as tmp:
                for mb in sizes:
                    path = Path(tmp) / f"clip-{mb}.mp4"
                    synthetic_mp4(path, mb * MIB)
                    raw = await measure(session, env, path, "raw")
                    form = await measure(session, env, path, "form")
                    print(
                        f"{mb:4d} MB: proxy peak RSS {raw:6.1f} MiB streaming a raw body, "
                        f"{form:6.1f} MiB for a form field (spooled)"
                    )
                    path.unlink()
    finally:
        await stop(sandbox)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="MB, comma-separated, ascending")
    args = parser.parse_args()
    asyncio.run(main([int(x) for x in args.sizes.split(",")]))
