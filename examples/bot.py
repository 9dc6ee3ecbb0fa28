"""A bot that posts a picture every N minutes and shuts down gracefully.

    python examples/bot.py --interval 30          # every 30 minutes until Ctrl-C / SIGTERM
    python examples/bot.py --interval 0 --count 3 # three pictures, back to back

Credentials come from ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET,
ASYNCMEDIA_ACCESS_TOKEN and ASYNCMEDIA_ACCESS_TOKEN_SECRET; with none set the bot runs against
the embedded sandbox.  On SIGINT/SIGTERM it finishes the upload in progress, then exits.
Attach the printed media ids to a post with your posting library of choice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from make_samples import png

from asyncmedia import AsyncMediaError
from asyncmedia.environment import client_from_env


def pictures(folder: Path | None) -> list[Path | bytes]:
    """The pictures to cycle through: a folder's images, or generated test cards."""
    if folder is not None:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".gif"})
        if found:
            return list(found)
    return [png(160 + 40 * i, 100) for i in range(3)]


async def run(interval_minutes: float, count: int | None, folder: Path | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    queue = pictures(folder)
    posted = 0
    async with client_from_env("twitter") as client:
        where = "the embedded sandbox" if client.sandbox is not None else "the service"
        print(f"bot: posting to {where} every {interval_minutes:g} min", flush=True)
        while not stop.is_set() and (count is None or posted < count):
            picture = queue[posted % len(queue)]
            try:
                media = await client.upload_media(picture, alt_text=f"Picture number {posted + 1}")
            except AsyncMediaError as exc:  # a bot keeps going; it logs and tries next time
                print(f"bot: upload failed: {exc}", flush=True)
            else:
                print(
                    f"bot: posted picture {posted + 1}: media {media.media_id_string}", flush=True
                )
            posted += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_minutes * 60)
    print("bot: stopped", flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=30.0, help="minutes between posts")
    parser.add_argument("--count", type=int, default=None, help="stop after this many posts")
    parser.add_argument("--folder", type=Path, default=None, help="folder of pictures to post")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.interval, args.count, args.folder)))


if __name__ == "__main__":
    main()
