"""A bot that posts a picture to X, Mastodon and Bluesky at once, every N minutes.

    python examples/post_bot.py --interval 60     # every hour until Ctrl-C / SIGTERM
    python examples/post_bot.py --once            # one post on each service, then exit

Each service reads its credentials from the environment (see ``asyncmedia.environment``:
ASYNCMEDIA_X_BEARER_TOKEN or the four OAuth 1.0a keys, ASYNCMEDIA_MASTODON_URL and
ASYNCMEDIA_MASTODON_TOKEN, ASYNCMEDIA_BLUESKY_IDENTIFIER and ASYNCMEDIA_BLUESKY_PASSWORD);
a service with none set is served by one embedded sandbox, so the bot runs with no account.

The three posts go out concurrently (``crosspost``); one service failing does not stop the
others.  A post whose answer was lost (``PostMayExist``) is not sent again blindly: the bot
says so and moves on, since the post may well be online.  On SIGINT/SIGTERM it finishes the
round in progress, then exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from make_samples import png

from asyncmedia import Post, crosspost
from asyncmedia.environment import clients_from_env
from asyncmedia.errors import PostMayExist

SERVICES = ("x2", "mastodon", "bluesky")


def pictures(folder: Path | None) -> list[Path | bytes]:
    """The pictures to cycle through: a folder's images, or generated test cards."""
    if folder is not None:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".gif"})
        if found:
            return list(found)
    return [png(160 + 40 * i, 100) for i in range(3)]


async def run(interval_minutes: float, once: bool, folder: Path | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    queue = pictures(folder)
    failures = 0
    async with clients_from_env(SERVICES) as clients:
        print(f"bot: posting to {', '.join(SERVICES)} every {interval_minutes:g} min", flush=True)
        number = 0
        while not stop.is_set():
            number += 1
            picture = queue[(number - 1) % len(queue)]
            results = await crosspost(
                f"Picture number {number}",
                [picture],
                alt_texts=[f"Test card number {number}"],
                clients=clients,
            )
            for name, result in zip(SERVICES, results, strict=True):
                if isinstance(result, Post):
                    print(f"bot: {name}: posted {result.url or result.id}", flush=True)
                elif isinstance(result, PostMayExist):
                    print(f"bot: {name}: the post may be online, not resent: {result}", flush=True)
                else:  # a bot keeps going; it logs and tries next round
                    failures += 1
                    print(f"bot: {name}: failed: {result}", flush=True)
            if once:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_minutes * 60)
    print("bot: stopped", flush=True)
    return 1 if once and failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=30.0, help="minutes between posts")
    parser.add_argument("--once", action="store_true", help="post once on each service, exit")
    parser.add_argument("--folder", type=Path, default=None, help="folder of pictures to post")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.interval, args.once, args.folder)))


if __name__ == "__main__":
    main()
