"""The ``asyncmedia`` command: ``upload`` media and run the local ``sandbox``.

Exit codes: 0 success; 1 the service refused the upload (API, processing or connection error);
2 bad usage or unusable input (missing file, text mode, unknown type, too large);
130 interrupted.  Errors are printed as one line on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from . import __version__
from .auth import OAuth1Credentials
from .client import MediaClient
from .errors import AsyncMediaError, MediaSourceError, MediaTooLarge
from .media import Media

__all__ = ["main"]

ENV_KEYS = {
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}
EXIT_OK, EXIT_SERVICE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def media_as_json(media: Media) -> dict[str, Any]:
    """The fields of ``media`` worth printing (``raw`` left out)."""
    data = asdict(media)
    data.pop("raw", None)
    return data


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asyncmedia", description="Upload images, GIFs and video to Twitter/X."
    )
    parser.add_argument("--version", action="version", version=f"asyncmedia {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    upload = commands.add_parser(
        "upload",
        help="upload a file or URL and print the media as JSON",
        description=(
            "Credentials come from ASYNCMEDIA_CONSUMER_KEY, ASYNCMEDIA_CONSUMER_SECRET, "
            "ASYNCMEDIA_ACCESS_TOKEN and ASYNCMEDIA_ACCESS_TOKEN_SECRET; when none is set the "
            "embedded sandbox is started and used."
        ),
    )
    upload.add_argument("source", metavar="PATH_OR_URL", help="file path or http(s) URL")
    upload.add_argument("--alt-text", help="alt text for images and GIFs (max 1000 characters)")
    upload.add_argument("--media-type", help="MIME type, when sniffing gets it wrong")
    upload.add_argument("--media-category", help="e.g. tweet_image, tweet_gif, tweet_video")
    upload.add_argument(
        "--chunked",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force (or forbid) the chunked uploader; chosen by size and type by default",
    )
    upload.add_argument("--upload-url", help="media upload API root (default: Twitter's)")

    sandbox = commands.add_parser("sandbox", help="run the local service emulator")
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    return parser


def _env_credentials() -> OAuth1Credentials | None:
    found = {key: os.environ.get(env, "") for key, env in ENV_KEYS.items()}
    if not any(found.values()):
        return None
    missing = [ENV_KEYS[key] for key, value in found.items() if not value]
    if missing:
        raise ValueError(f"set {', '.join(missing)} too (or unset all four for the sandbox)")
    return OAuth1Credentials(
        consumer_key=found["consumer_key"],
        consumer_secret=found["consumer_secret"],
        access_token=found["access_token"],
        access_token_secret=found["access_token_secret"],
    )


async def _upload(args: argparse.Namespace) -> int:
    credentials = _env_credentials()
    options: dict[str, Any] = {
        "media_type": args.media_type,
        "media_category": args.media_category,
        "chunked": args.chunked,
        "alt_text": args.alt_text,
    }
    if credentials is not None:
        extra = {"upload_url": args.upload_url} if args.upload_url else {}
        async with MediaClient(**credentials, **extra) as client:
            media = await client.upload_media(args.source, **options)
    else:
        from .sandbox import Sandbox

        async with Sandbox() as sb:
            print(
                f"asyncmedia: no credentials set; using the embedded sandbox at {sb.url}",
                file=sys.stderr,
            )
            async with MediaClient(**sb.credentials, upload_url=sb.url, api_url=sb.url) as client:
                media = await client.upload_media(args.source, **options)
    print(json.dumps(media_as_json(media), indent=2))
    return EXIT_OK


async def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

    async with Sandbox(port=args.port) as sb:
        print(f"asyncmedia sandbox listening at {sb.url}", flush=True)
        print(json.dumps(sb.credentials, indent=2), flush=True)
        print(f"TwitPic   {sb.twitpic_url}  key {sb.twitpic_api_key}", flush=True)
        print(f"TwitrPix  {sb.twitrpix_url}  key {sb.twitrpix_api_key}", flush=True)
        user = sb.statusnet_credentials
        print(
            f"StatusNet {sb.statusnet_url}  user {user['username']} password {user['password']}",
            flush=True,
        )
        print("Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``asyncmedia`` console script."""
    args = _parser().parse_args(argv)
    runner = _upload if args.command == "upload" else _sandbox
    try:
        return asyncio.run(runner(args))
    except KeyboardInterrupt:
        print("asyncmedia: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (MediaSourceError, MediaTooLarge, ValueError) as exc:
        print(f"asyncmedia: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AsyncMediaError as exc:
        print(f"asyncmedia: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_SERVICE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
