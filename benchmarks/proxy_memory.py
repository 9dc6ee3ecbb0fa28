"""Peak memory of examples/aiohttp_proxy.py while it streams uploads onward.

    python benchmarks/proxy_memory.py [--sizes 10,100]

Starts the proxy (forwarding to its embedded sandbox) as a child process, then for each size
posts a synthetic MP4 of that many MB to ``/upload/raw`` (streamed) and ``/upload`` (a
multipart form field: spooled to a temporary file), and prints the proxy's peak RSS
(``VmHWM`` from /proc) after each.  Flat figures mean the proxy never holds a whole file.
Note the sandbox runs inside the proxy process here, so its bounded buffers count too.
"""

# ruff: noqa: ASYNC230, E501 - a measuring script, not library code

from __future__ import annotations

import argparse
import asyncio
import hashlib
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


async def main(sizes: list[int]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMEDIA_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "aiohttp_proxy.py",
        "--port",
        str(port),
        cwd=EXAMPLES,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    while b"Running on" not in await proc.stdout.readline():
        pass
    base = f"http://127.0.0.1:{port}/"
    print(f"proxy idle: RSS {vm(proc.pid, 'VmRSS'):.1f} MiB")
    try:
        async with aiohttp.ClientSession() as session:
            with tempfile.TemporaryDirectory() as tmp:
                for mb in sizes:
                    path = Path(tmp) / f"clip-{mb}.mp4"
                    synthetic_mp4(path, mb * MIB)
                    headers = {"Content-Type": "video/mp4", "Content-Length": str(mb * MIB)}
                    async with session.post(
                        base + "upload/raw?name=clip.mp4", data=file_chunks(path), headers=headers
                    ) as r:
                        assert r.status == 200, await r.text()
                    print(
                        f"{mb:4d} MB raw body (streamed):   proxy peak RSS {vm(proc.pid, 'VmHWM'):6.1f} MiB"
                    )
                    with open(path, "rb") as fh:
                        form = aiohttp.FormData()
                        form.add_field("media", fh, filename="clip.mp4", content_type="video/mp4")
                        async with session.post(base + "upload", data=form) as r:
                            assert r.status == 200, await r.text()
                    print(
                        f"{mb:4d} MB form field (spooled):  proxy peak RSS {vm(proc.pid, 'VmHWM'):6.1f} MiB"
                    )
    finally:
        proc.send_signal(signal.SIGINT)
        await proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="MB, comma-separated, ascending")
    args = parser.parse_args()
    asyncio.run(main([int(x) for x in args.sizes.split(",")]))
