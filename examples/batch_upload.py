"""Upload every image and video in a folder concurrently, with one progress bar.

    python examples/batch_upload.py PHOTOS_DIR [--concurrency 8]
    python examples/batch_upload.py            # uploads a folder of generated test cards

Credentials: the ASYNCMEDIA_* variables (see examples/bot.py); with none set it uploads to
the embedded sandbox.  Prints one line per file: its media id, or the error.
"""

# ruff: noqa: ASYNC240 - listing a folder and stat-ing its files is instant next to uploading

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from make_samples import png
from tqdm import tqdm

from asyncmedia import AsyncMediaError, MediaClient
from asyncmedia.environment import client_from_env

MEDIA_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".mov"}


async def upload_folder(client: MediaClient, folder: Path, concurrency: int) -> int:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES)
    total = sum(p.stat().st_size for p in files)
    slots = asyncio.Semaphore(concurrency)
    failures = 0
    with tqdm(total=total, unit="B", unit_scale=True, desc="uploading", leave=False) as bar:

        async def one(path: Path) -> str:
            nonlocal failures
            last = 0

            def progress(sent: int, _total: int) -> None:
                nonlocal last
                bar.update(sent - last)
                last = sent

            async with slots:
                try:
                    media = await client.upload_media(path, progress=progress)
                except AsyncMediaError as exc:
                    failures += 1
                    bar.update(path.stat().st_size - last)
                    return f"{path.name}: failed: {exc}"
            return f"{path.name}: {media.media_id_string}"

        results = await asyncio.gather(*(one(p) for p in files))
    for line in results:
        print(line)
    print(f"{len(files) - failures} of {len(files)} uploaded")
    return 1 if failures else 0


async def run(folder: Path | None, concurrency: int) -> int:
    async with client_from_env("twitter") as client:
        if folder is not None:
            return await upload_folder(client, folder, concurrency)
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(12):
                (Path(tmp) / f"card-{i:02d}.png").write_bytes(png(200 + 10 * i, 120))
            return await upload_folder(client, Path(tmp), concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="folder of media files")
    parser.add_argument("--concurrency", type=int, default=8, help="uploads at once")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.folder, args.concurrency)))


if __name__ == "__main__":
    main()
