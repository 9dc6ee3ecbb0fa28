"""The ``asyncmedia`` command: ``upload`` media and run the local ``sandbox``.

``asyncmedia upload [--service S] PATH_OR_URL...`` uploads one or more files or URLs
(``--concurrency`` at once) and prints each result: as JSON when ``--json`` is given or when
stdout is not a terminal, as one readable line per file otherwise.  On a terminal a progress
bar (bytes, rate, ETA) is drawn on stderr; ``--quiet`` hides it and the notices.

Credentials come from environment variables (:mod:`asyncmedia.environment` lists them per
service); when none of a service's variables is set, the embedded sandbox is started and used.

Exit codes: 0 every upload succeeded; 1 the service refused an upload (API, processing or
connection error); 2 bad usage or unusable input (missing file, text mode, unknown type, too
large) — the highest applies when several files fail; 130 interrupted.  Errors are printed as
one line each on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from tqdm import tqdm

from . import __version__
from .environment import ENVIRONMENT, client_from_env
from .errors import AsyncMediaError, MediaSourceError, MediaTooLarge
from .media import Blob, MastodonMedia, Media

__all__ = ["main"]

UPLOAD_SERVICES = ("twitter", "x2", "mastodon", "bluesky")
EXIT_OK, EXIT_SERVICE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def result_as_json(result: Media | MastodonMedia | Blob) -> dict[str, Any]:
    """The fields of an upload result worth printing (``raw`` left out)."""
    if isinstance(result, Blob):
        return result.as_dict()
    data = asdict(result)
    data.pop("raw", None)
    return data


def describe(source: str, result: Media | MastodonMedia | Blob) -> str:
    """One readable line for a terminal."""
    if isinstance(result, Blob):
        return f"{source}: blob {result.ref} ({result.mime_type}, {result.size} bytes)"
    if isinstance(result, MastodonMedia):
        return f"{source}: media {result.id} ({result.type}) {result.url or ''}".rstrip()
    size = f", {result.size} bytes" if result.size is not None else ""
    return f"{source}: media {result.media_id_string} ({result.media_type}{size})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asyncmedia",
        description="Upload images, GIFs and video to X/Twitter, Mastodon and Bluesky.",
    )
    parser.add_argument("--version", action="version", version=f"asyncmedia {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    env_help = "; ".join(
        f"{service}: {', '.join(ENVIRONMENT[service])}" for service in UPLOAD_SERVICES
    )
    upload = commands.add_parser(
        "upload",
        help="upload files or URLs and print the results",
        description=(
            "Credentials come from the environment (" + env_help + "). When none of a "
            "service's variables is set, the embedded sandbox is started and used."
        ),
    )
    upload.add_argument("sources", metavar="PATH_OR_URL", nargs="+", help="file paths or URLs")
    upload.add_argument(
        "--service",
        choices=UPLOAD_SERVICES,
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
    upload.add_argument(
        "--concurrency", type=int, default=4, help="uploads at once when given several (4)"
    )
    upload.add_argument("--json", action="store_true", help="print results as JSON")
    upload.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no notices")

    sandbox = commands.add_parser("sandbox", help="run the local service emulator")
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    return parser


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
    if args.concurrency < 1:
        raise ValueError("--concurrency must be at least 1")


def _parse_focus(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--focus must be X,Y (two numbers), got {text!r}") from None
    return x, y


class ProgressBar:
    """One tqdm bar over every upload's bytes; totals are added as uploads learn them."""

    def __init__(self, enabled: bool, files: int) -> None:
        self._bar: Any = None
        if enabled:
            size = shutil.get_terminal_size((100, 24))
            self._bar = tqdm(
                total=0,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                desc=f"0/{files} files",
                leave=False,
                # a pty may report a 0x0 size (a starting tmux pane, `script`), and tqdm then
                # draws nothing: fall back to 100x24
                ncols=size.columns or 100,
                nrows=size.lines or 24,
            )
        self._files = files
        self._done = 0
        self._seen: dict[int, tuple[int, int]] = {}

    def callback(self, index: int) -> Any:
        def progress(sent: int, total: int) -> None:
            if self._bar is None:
                return
            before_sent, before_total = self._seen.get(index, (0, 0))
            if total != before_total:
                self._bar.total += total - before_total
            self._bar.update(sent - before_sent)
            self._seen[index] = (sent, total)

        return progress

    def finished(self) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.set_description(f"{self._done}/{self._files} files")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


async def _upload_one(client: Any, args: argparse.Namespace, source: str, progress: Any) -> Any:
    if args.service == "mastodon":
        return await client.upload_media(
            source,
            description=args.alt_text,
            focus=_parse_focus(args.focus),
            media_type=args.media_type,
            progress=progress,
        )
    if args.service == "bluesky":
        return await client.upload_blob(source, media_type=args.media_type, progress=progress)
    return await client.upload_media(
        source,
        media_type=args.media_type,
        media_category=args.media_category,
        chunked=args.chunked,
        alt_text=args.alt_text,
        progress=progress,
    )


@contextmanager
def _log_to_stderr(level: int) -> Iterator[None]:
    """Show the library's notices (sandbox fallback, retries waiting) as one-line messages,
    for the duration of the command (the logger is restored after: ``main`` may be called
    in-process)."""
    logger = logging.getLogger("asyncmedia")
    saved = logger.level, logger.propagate
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("asyncmedia: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.level, logger.propagate = saved


def _exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, (MediaSourceError, MediaTooLarge, ValueError)):
        return EXIT_USAGE
    return EXIT_SERVICE


def _error_line(source: str, exc: BaseException) -> str:
    kind = "" if _exit_code_for(exc) == EXIT_USAGE else f"{type(exc).__name__}: "
    return f"asyncmedia: error: {source}: {kind}{exc}"


async def _upload(args: argparse.Namespace) -> int:
    _check_options(args)
    with _log_to_stderr(logging.ERROR if args.quiet else logging.WARNING):
        return await _upload_all(args)


async def _upload_all(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {}
    if args.upload_url:
        options["upload_url"] = args.upload_url
    as_json = args.json or not sys.stdout.isatty()
    slots = asyncio.Semaphore(args.concurrency)
    async with client_from_env(args.service, **options) as client:
        bar = ProgressBar(not args.quiet and sys.stderr.isatty(), len(args.sources))

        async def one(index: int, source: str) -> tuple[str, Any, AsyncMediaError | None]:
            async with slots:
                try:
                    result = await _upload_one(client, args, source, bar.callback(index))
                except AsyncMediaError as exc:
                    return source, None, exc
                finally:
                    bar.finished()
            return source, result, None

        try:
            results = await asyncio.gather(*(one(i, s) for i, s in enumerate(args.sources)))
        finally:
            bar.close()

    code = EXIT_OK
    printable: list[dict[str, Any]] = []
    for source, result, error in results:
        if error is not None:
            print(_error_line(source, error), file=sys.stderr)
            code = max(code, _exit_code_for(error))
            printable.append({"source": source, "error": str(error), "kind": type(error).__name__})
        elif as_json:
            printable.append({"source": source, **result_as_json(result)})
        else:
            print(describe(source, result))
    if as_json:
        if len(args.sources) == 1:
            if code == EXIT_OK:  # one source: the result object itself, as before
                single = printable[0]
                single.pop("source")
                print(json.dumps(single, indent=2))
        else:
            print(json.dumps(printable, indent=2))
    return code


def sandbox_description(sb: Any) -> dict[str, dict[str, Any]]:
    """Every service's base URL and credentials on a running sandbox, as printed by the CLI.

    Built from the sandbox's service registry (:meth:`asyncmedia.sandbox.Sandbox.describe`):
    each running service contributes its own entry.
    """
    description: dict[str, dict[str, Any]] = sb.describe()
    return description


async def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

    async with Sandbox(port=args.port) as sb:
        print(f"asyncmedia sandbox listening at {sb.base_url} (Ctrl-C to stop)", file=sys.stderr)
        print(json.dumps(sandbox_description(sb), indent=2), flush=True)
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
    except (AsyncMediaError, ValueError) as exc:
        kind = "" if _exit_code_for(exc) == EXIT_USAGE else f"{type(exc).__name__}: "
        print(f"asyncmedia: error: {kind}{exc}", file=sys.stderr)
        return _exit_code_for(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
