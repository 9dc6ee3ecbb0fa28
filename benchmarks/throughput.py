"""Throughput and peak memory of asyncmedia against a raw-aiohttp baseline, in one run.

    python benchmarks/throughput.py                 # 64 MB throughput, 8/64 MB peak RSS
    python benchmarks/throughput.py --rss-sizes 8,64,512 --in-flight 1,2,4,8 --small 200

The sandbox runs in its own process, and every measured upload runs in a fresh child process,
so each peak RSS (``ru_maxrss``) is that upload's client alone.  The baseline is what a careful
aiohttp user would write by hand: OAuth-signed INIT, the same chunks APPENDed one after the
other on one connection (read from the file chunk by chunk), FINALIZE, STATUS polling.  Times
are the best of ``--repeat`` runs; ratios above 1 mean asyncmedia is faster.
"""

# ruff: noqa: ASYNC230, ASYNC240, E501 - a benchmark script reads its own small files inline

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
HERE = Path(__file__).resolve()


# -- child: the sandbox --------------------------------------------------------------------


async def serve() -> None:
    from asyncmedia.sandbox import Sandbox

    async with Sandbox(check_after_secs=0.01, processing_steps=1) as sb:
        print(json.dumps({"url": sb.url, "credentials": sb.credentials}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# -- child: one measured upload -----------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_client(args: argparse.Namespace, creds: dict[str, str]) -> dict[str, Any]:
    from asyncmedia import MediaClient

    async with MediaClient(
        **creds,
        upload_url=args.url,
        api_url=args.url,
        chunk_size=args.chunk_size,
        max_in_flight=args.max_in_flight,
    ) as client:
        start = time.perf_counter()
        if args.small:
            data = Path(args.file).read_bytes()
            await asyncio.gather(*(client.upload_media(data) for _ in range(args.small)))
        else:
            await client.upload_media(args.file, media_type="video/mp4")
        return {"seconds": time.perf_counter() - start}


async def run_raw(args: argparse.Namespace, creds: dict[str, str]) -> dict[str, Any]:
    import aiohttp
    from oauthlib import oauth1

    def auth(method: str, url: str, form: str | None = None) -> dict[str, str]:
        client = oauth1.Client(
            creds["consumer_key"],
            creds["consumer_secret"],
            creds["access_token"],
            creds["access_token_secret"],
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else None
        _, signed, _ = client.sign(url, method, body=form, headers=headers)
        return {"Authorization": signed["Authorization"]}

    upload = args.url + "media/upload.json"
    form_ct = {"Content-Type": "application/x-www-form-urlencoded"}

    async def simple(session: aiohttp.ClientSession, data: bytes) -> None:
        form = aiohttp.FormData()
        form.add_field("media", io.BytesIO(data), filename="img.png")
        async with session.post(upload, data=form, headers=auth("POST", upload)) as r:
            assert r.status == 200, await r.text()
            await r.read()

    finalized: list[float] = []

    async def chunked(session: aiohttp.ClientSession) -> None:
        size = os.path.getsize(args.file)
        body = f"command=INIT&total_bytes={size}&media_type=video%2Fmp4&media_category=tweet_video"
        async with session.post(
            upload, data=body, headers={**form_ct, **auth("POST", upload, body)}
        ) as r:
            media_id = (await r.json())["media_id_string"]
        with open(args.file, "rb") as fh:
            index = 0
            while chunk := fh.read(args.chunk_size):
                form = aiohttp.FormData()
                form.add_field("command", "APPEND")
                form.add_field("media_id", media_id)
                form.add_field("segment_index", str(index))
                form.add_field("media", io.BytesIO(chunk), filename="clip.mp4")
                async with session.post(upload, data=form, headers=auth("POST", upload)) as r:
                    assert r.status == 204, await r.text()
                index += 1
        body = f"command=FINALIZE&media_id={media_id}"
        async with session.post(
            upload, data=body, headers={**form_ct, **auth("POST", upload, body)}
        ) as r:
            info = (await r.json()).get("processing_info")
        finalized.append(time.perf_counter())
        while info and info["state"] not in ("succeeded", "failed"):
            await asyncio.sleep(info.get("check_after_secs", 1))
            url = f"{upload}?command=STATUS&media_id={media_id}"
            async with session.get(url, headers=auth("GET", url)) as r:
                info = (await r.json()).get("processing_info")

    connector = aiohttp.TCPConnector(limit=args.max_in_flight if args.small else 1)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        if args.small:
            data = Path(args.file).read_bytes()
            await asyncio.gather(*(simple(session, data) for _ in range(args.small)))
        else:
            await chunked(session)
        done = {"seconds": time.perf_counter() - start}
        if finalized:  # FINALIZE answered: the bytes are all there, processing aside
            done["finalized"] = finalized[0] - start
        return done


def child_main(args: argparse.Namespace) -> None:
    import aiohttp  # noqa: F401 - both contenders pay their imports before "before"
    import oauthlib.oauth1  # noqa: F401

    import asyncmedia  # noqa: F401

    creds = json.loads(args.creds)
    before = peak_rss_mib()
    runner = run_client if args.run == "client" else run_raw
    result = asyncio.run(runner(args, creds))
    result.update(rss_before=before, rss_peak=peak_rss_mib())
    print(json.dumps(result))


# -- parent: orchestration ------------------------------------------------------------------


def synthetic_mp4(path: Path, size: int) -> None:
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    block = hashlib.sha512(b"benchmark").digest() * (MIB // 64)
    with open(path, "wb") as fh:
        fh.write(ftyp)
        left = size - len(ftyp)
        while left > 0:
            fh.write(block[: min(left, len(block))])
            left -= min(left, len(block))


def measure(kind: str, file: Path, server: dict[str, Any], **opts: Any) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE),
        "--run",
        kind,
        "--file",
        str(file),
        "--url",
        server["url"],
        "--creds",
        json.dumps(server["credentials"]),
    ]
    for key, value in opts.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def best(kind: str, file: Path, server: dict[str, Any], repeat: int, **opts: Any) -> dict[str, Any]:
    runs = [measure(kind, file, server, **opts) for _ in range(repeat)]
    return min(runs, key=lambda r: r["seconds"])


def parent_main(args: argparse.Namespace) -> None:
    server_proc = subprocess.Popen(
        [sys.executable, str(HERE), "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server_proc.stdout is not None
    server = json.loads(server_proc.stdout.readline())
    chunk = args.chunk_size
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files: dict[int, Path] = {}
            for mb in sorted({args.size, *args.rss_sizes}):
                files[mb] = Path(tmp) / f"clip-{mb}.mp4"
                synthetic_mp4(files[mb], mb * MIB)
            big = files[args.size]
            print(
                f"# asyncmedia benchmark: {args.size} MB chunked upload, chunk {chunk // 1024} KiB,"
                f" best of {args.repeat}, sandbox in its own process on 127.0.0.1"
            )
            raw = best("raw", big, server, args.repeat, chunk_size=chunk, max_in_flight=1)
            raw_mbs = args.size / raw["seconds"]
            print(f"raw aiohttp, sequential APPENDs       {raw_mbs:8.1f} MB/s")
            for k in args.in_flight:
                res = best("client", big, server, args.repeat, chunk_size=chunk, max_in_flight=k)
                mbs = args.size / res["seconds"]
                print(
                    f"asyncmedia max_in_flight={k:<2}            {mbs:8.1f} MB/s"
                    f"   ratio {mbs / raw_mbs:5.2f}"
                )
            print("# peak RSS of the client process (MiB; 'imports' = before the upload)")
            for mb, path in files.items():
                res = measure(
                    "client", path, server, chunk_size=chunk, max_in_flight=args.in_flight[-1]
                )
                raw_res = measure("raw", path, server, chunk_size=chunk, max_in_flight=1)
                print(
                    f"{mb:5d} MB file: asyncmedia peak {res['rss_peak']:7.1f}"
                    f" (imports {res['rss_before']:.1f})   raw aiohttp peak {raw_res['rss_peak']:7.1f}"
                )
            if args.small:
                small = Path(tmp) / "small.png"
                small.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(50 * 1024))
                raw_s = best(
                    "raw",
                    small,
                    server,
                    args.repeat,
                    small=args.small,
                    max_in_flight=args.small_connections,
                )
                cli_s = best(
                    "client",
                    small,
                    server,
                    args.repeat,
                    small=args.small,
                    max_in_flight=args.small_connections,
                    chunk_size=chunk,
                )
                print(
                    f"{args.small} concurrent 50 KB uploads: raw {args.small / raw_s['seconds']:.0f}/s,"
                    f" asyncmedia {args.small / cli_s['seconds']:.0f}/s,"
                    f" ratio {raw_s['seconds'] / cli_s['seconds']:.2f}"
                )
    finally:
        assert server_proc.stdin is not None
        server_proc.stdin.close()
        server_proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=["client", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--creds", help=argparse.SUPPRESS)
    parser.add_argument(
        "--small", type=int, default=0, help="also time N concurrent small uploads (e.g. 200)"
    )
    parser.add_argument("--small-connections", type=int, default=32)
    parser.add_argument("--size", type=int, default=64, help="MB for the throughput run")
    parser.add_argument(
        "--rss-sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[8, 64],
        help="MB sizes for peak RSS, comma-separated",
    )
    parser.add_argument(
        "--in-flight",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[4],
        help="max_in_flight values, comma-separated",
    )
    parser.add_argument("--max-in-flight", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-size", type=int, default=4 * MIB)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
    elif args.run:
        child_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
