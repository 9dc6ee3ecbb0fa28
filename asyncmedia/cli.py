"""The ``asyncmedia`` command: ``upload`` media and run the local ``sandbox``.

``asyncmedia upload --service {twitter,x2,mastodon,bluesky} PATH_OR_URL`` takes each service's
credentials from environment variables (:data:`SERVICE_ENV` lists them); when none of a
service's variables is set, it starts the embedded sandbox and uploads there.

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
from .media import Blob, MastodonMedia, Media
from .services import BlueskyClient, MastodonClient

__all__ = ["main"]

ENV_KEYS = {
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}
X_BEARER_ENV = "ASYNCMEDIA_X_BEARER_TOKEN"
MASTODON_ENV = {"url": "ASYNCMEDIA_MASTODON_URL", "token": "ASYNCMEDIA_MASTODON_TOKEN"}
BLUESKY_ENV = {
    "url": "ASYNCMEDIA_BLUESKY_URL",
    "identifier": "ASYNCMEDIA_BLUESKY_IDENTIFIER",
    "password": "ASYNCMEDIA_BLUESKY_PASSWORD",
    "jwt": "ASYNCMEDIA_BLUESKY_JWT",
}
#: The environment variables each ``--service`` reads.
SERVICE_ENV: dict[str, tuple[str, ...]] = {
    "twitter": tuple(ENV_KEYS.values()),
    "x2": (X_BEARER_ENV, *ENV_KEYS.values()),
    "mastodon": tuple(MASTODON_ENV.values()),
    "bluesky": tuple(BLUESKY_ENV.values()),
}
SERVICES = tuple(SERVICE_ENV)
EXIT_OK, EXIT_SERVICE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def media_as_json(media: Media) -> dict[str, Any]:
    """The fields of ``media`` worth printing (``raw`` left out)."""
    data = asdict(media)
    data.pop("raw", None)
    return data


def mastodon_media_as_json(media: MastodonMedia) -> dict[str, Any]:
    """The fields of a Mastodon attachment worth printing (``raw`` left out)."""
    data = asdict(media)
    data.pop("raw", None)
    return data


def blob_as_json(blob: Blob) -> dict[str, Any]:
    """The blob reference as a Bluesky record embeds it."""
    return blob.as_dict()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asyncmedia",
        description="Upload images, GIFs and video to X/Twitter, Mastodon and Bluesky.",
    )
    parser.add_argument("--version", action="version", version=f"asyncmedia {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    upload = commands.add_parser(
        "upload",
        help="upload a file or URL and print the media as JSON",
        description=(
            "twitter (X API v1.1) and x2 (X API v2): ASYNCMEDIA_CONSUMER_KEY, "
            "ASYNCMEDIA_CONSUMER_SECRET, ASYNCMEDIA_ACCESS_TOKEN and "
            "ASYNCMEDIA_ACCESS_TOKEN_SECRET, or for x2 ASYNCMEDIA_X_BEARER_TOKEN (an OAuth 2.0 "
            "user token). mastodon: ASYNCMEDIA_MASTODON_URL and ASYNCMEDIA_MASTODON_TOKEN. "
            "bluesky: ASYNCMEDIA_BLUESKY_IDENTIFIER and ASYNCMEDIA_BLUESKY_PASSWORD (an app "
            "password) or ASYNCMEDIA_BLUESKY_JWT, and optionally ASYNCMEDIA_BLUESKY_URL. "
            "When none of a service's variables is set, the embedded sandbox is started and "
            "used."
        ),
    )
    upload.add_argument("source", metavar="PATH_OR_URL", help="file path or http(s) URL")
    upload.add_argument(
        "--service",
        choices=SERVICES,
        default="twitter",
        help="where to upload (default: twitter, i.e. X API v1.1; x2 is X API v2)",
    )
    upload.add_argument(
        "--alt-text",
        help="alt text (X: max 1000 characters; Mastodon: the description, max 1500)",
    )
    upload.add_argument(
        "--focus", metavar="X,Y", help="Mastodon focal point, two numbers in -1.0..1.0"
    )
    upload.add_argument("--media-type", help="MIME type, when sniffing gets it wrong")
    upload.add_argument("--media-category", help="e.g. tweet_image, tweet_gif, tweet_video")
    upload.add_argument(
        "--chunked",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force (or forbid) the chunked uploader; chosen by size and type by default",
    )
    upload.add_argument(
        "--upload-url", help="X media upload API root (default: X's, for the chosen version)"
    )

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


def _env(*names: str) -> dict[str, str]:
    return {name: os.environ.get(name, "") for name in names}


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options the chosen service has no use for, instead of ignoring them."""
    twitter_only = {
        "--media-category": args.media_category,
        "--chunked": args.chunked,
        "--upload-url": args.upload_url,
    }
    misplaced = []
    if args.service in ("mastodon", "bluesky"):
        misplaced += [flag for flag, value in twitter_only.items() if value is not None]
    if args.service != "mastodon" and args.focus is not None:
        misplaced.append("--focus")
    if args.service == "bluesky" and args.alt_text is not None:
        raise ValueError(
            "--alt-text: on Bluesky alt text belongs to the post's image embed, not the blob"
        )
    if misplaced:
        raise ValueError(f"{', '.join(misplaced)} cannot be used with --service {args.service}")


def _parse_focus(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--focus must be X,Y (two numbers), got {text!r}") from None
    return x, y


async def _upload(args: argparse.Namespace) -> int:
    _check_options(args)
    if args.service == "x2":
        result = await _upload_x2(args)
    elif args.service == "mastodon":
        result = await _upload_mastodon(args)
    elif args.service == "bluesky":
        result = await _upload_bluesky(args)
    else:
        return await _upload_twitter(args)
    print(json.dumps(result, indent=2))
    return EXIT_OK


def _announce_sandbox(url: str) -> None:
    print(f"asyncmedia: no credentials set; using the embedded sandbox at {url}", file=sys.stderr)


def _twitter_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "media_type": args.media_type,
        "media_category": args.media_category,
        "chunked": args.chunked,
        "alt_text": args.alt_text,
    }


async def _upload_x2(args: argparse.Namespace) -> dict[str, Any]:
    bearer = os.environ.get(X_BEARER_ENV, "")
    if bearer and any(os.environ.get(env) for env in ENV_KEYS.values()):
        raise ValueError(f"set either {X_BEARER_ENV} or the four OAuth 1.0a keys, not both")
    credentials = None if bearer else _env_credentials()
    extra = {"upload_url": args.upload_url} if args.upload_url else {}
    if bearer:
        async with MediaClient(bearer_token=bearer, api_version=2, **extra) as client:
            media = await client.upload_media(args.source, **_twitter_options(args))
    elif credentials is not None:
        async with MediaClient(**credentials, api_version=2, **extra) as client:
            media = await client.upload_media(args.source, **_twitter_options(args))
    else:
        from .sandbox import Sandbox

        async with Sandbox() as sb:
            _announce_sandbox(sb.x2_url)
            async with MediaClient(
                bearer_token=sb.x_bearer_token, api_version=2, upload_url=sb.x2_url
            ) as client:
                media = await client.upload_media(args.source, **_twitter_options(args))
    return media_as_json(media)


async def _upload_mastodon(args: argparse.Namespace) -> dict[str, Any]:
    found = _env(*MASTODON_ENV.values())
    options: dict[str, Any] = {
        "description": args.alt_text,
        "focus": _parse_focus(args.focus),
        "media_type": args.media_type,
    }
    if any(found.values()):
        missing = [name for name, value in found.items() if not value]
        if missing:
            raise ValueError(f"set {', '.join(missing)} too (or unset both for the sandbox)")
        async with MastodonClient(
            found[MASTODON_ENV["url"]], found[MASTODON_ENV["token"]]
        ) as client:
            media = await client.upload_media(args.source, **options)
    else:
        from .sandbox import Sandbox

        async with Sandbox() as sb:
            _announce_sandbox(sb.mastodon_url)
            if sb.mastodon is not None:
                sb.mastodon.processing_steps = 1
            async with MastodonClient(
                sb.mastodon_url, sb.mastodon_token, poll_interval=0.2
            ) as client:
                media = await client.upload_media(args.source, **options)
    return mastodon_media_as_json(media)


async def _upload_bluesky(args: argparse.Namespace) -> dict[str, Any]:
    found = _env(*BLUESKY_ENV.values())
    url = found[BLUESKY_ENV["url"]]
    jwt = found[BLUESKY_ENV["jwt"]]
    identifier = found[BLUESKY_ENV["identifier"]]
    password = found[BLUESKY_ENV["password"]]
    if any(found.values()):
        if not jwt and not (identifier and password):
            raise ValueError(
                f"set {BLUESKY_ENV['identifier']} and {BLUESKY_ENV['password']} "
                f"(or {BLUESKY_ENV['jwt']}); unset all Bluesky variables for the sandbox"
            )
        login: dict[str, Any] = (
            {"access_jwt": jwt} if jwt else {"identifier": identifier, "password": password}
        )
        if url:
            login["service_url"] = url
        async with BlueskyClient(**login) as client:
            blob = await client.upload_blob(args.source, media_type=args.media_type)
    else:
        from .sandbox import Sandbox

        async with Sandbox() as sb:
            _announce_sandbox(sb.bluesky_url)
            async with BlueskyClient(
                sb.bluesky_url, identifier=sb.bluesky_identifier, password=sb.bluesky_password
            ) as client:
                blob = await client.upload_blob(args.source, media_type=args.media_type)
    return blob_as_json(blob)


async def _upload_twitter(args: argparse.Namespace) -> int:
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
        others = {
            "x2_url": sb.x2_url,
            "x_bearer_token": sb.x_bearer_token,
            "mastodon_url": sb.mastodon_url,
            "mastodon_token": sb.mastodon_token,
            "bluesky_url": sb.bluesky_url,
            "bluesky_identifier": sb.bluesky_identifier,
            "bluesky_password": sb.bluesky_password,
        }
        print(json.dumps(others, indent=2), flush=True)
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
