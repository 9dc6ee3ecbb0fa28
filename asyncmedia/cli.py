"""The ``asyncmedia`` command: ``upload`` media, ``post`` it, and run the local ``sandbox``.

``asyncmedia upload [--service S] PATH_OR_URL...`` uploads one or more files or URLs
(``--concurrency`` at once) and prints each result: as JSON when ``--json`` is given or when
stdout is not a terminal, as one readable line per file otherwise.  On a terminal a progress
bar (bytes, rate, ETA) is drawn on stderr; ``--quiet`` hides it and the notices.

``asyncmedia post TEXT [PATH_OR_URL...] [--service S]... [--alt-text T]...`` posts on one or
several services at once (:func:`~asyncmedia.crosspost`) and prints one line per service with
the post's URL (JSON with ``--json`` or when piped).

The services, their options and their variables come from :data:`asyncmedia.registry.REGISTRY`;
this module names none of them.  Every client is driven through the
:class:`~asyncmedia.PostingClient` interface (``upload_one``, ``post``).

Credentials come from environment variables (:mod:`asyncmedia.environment` lists them per
service); when none of a service's variables is set, the embedded sandbox is started and used.

Exit codes: 0 every upload (every post) succeeded; 1 the service refused an upload or a post
(API, processing or connection error; with several services the others still posted); 2 bad
usage or unusable input (missing file, text mode, unknown type, too large) — the highest
applies when several files fail; 130 interrupted (``sandbox``: 130 on SIGINT, 143 on SIGTERM,
after a clean shutdown).  Errors are printed as one line each on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import signal
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, cast

from tqdm import tqdm

from . import __version__
from .environment import client_from_env, clients_from_env
from .errors import (
    AsyncMediaError,
    AuthenticationError,
    MediaSourceError,
    MediaTooLarge,
    PostMayExist,
    TransportError,
)
from .media import Blob, MastodonMedia, Media
from .posting import Post, PostingClient, crosspost
from .registry import (
    DEFAULT_SERVICE,
    REGISTRY,
    Option,
    ServiceSpec,
    media_kind,
    posting_services,
    spec_for,
)
from .service import resolve_media_type
from .sniff import SNIFF_BYTES, media_type_from_name, sniff_media_type

__all__ = ["main"]

#: The services ``upload`` and ``post`` offer: those whose client is a PostingClient.
UPLOAD_SERVICES = posting_services()
EXIT_OK, EXIT_SERVICE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def result_as_json(result: Any) -> dict[str, Any]:
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


def _service_options() -> list[Option]:
    """Every service-specific upload option, once per flag, in registry order."""
    options: dict[str, Option] = {}
    for spec in REGISTRY:
        if spec.posts is not None:
            for option in spec.options:
                options.setdefault(option.flag, option)
    return list(options.values())


def _dest(option: Option) -> str:
    return "option_" + option.flag.lstrip("-").replace("-", "_")


def _env_help(services: Sequence[str]) -> str:
    """One paragraph per service: its credential variables (alternatives joined by "or"),
    then its optional ones, wrapped to the terminal for an epilog (``RawDescription``)."""
    width = max(40, min(shutil.get_terminal_size((100, 24)).columns or 100, 100) - 2)
    lines = [
        "credentials, from environment variables (when none of a service's variables is set,",
        "the embedded sandbox is started and used):",
    ]
    for name in services:
        spec = spec_for(name)
        text = ", or ".join(_all_of(list(group.values())) for group in spec.credentials)
        if spec.optional:
            text += f"; optional: {', '.join(spec.optional.values())}"
        lines += textwrap.wrap(
            text, width, initial_indent=f"  {name:<10}", subsequent_indent=" " * 12
        )
    return "\n".join(lines)


def _all_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that text with line breaks (the epilog) is kept as is."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return text
        return super()._fill_text(text, width, indent)


_EXIT_HELP = (
    "exit codes: 0 success; 1 the service refused, or the connection failed (after retries);\n"
    "2 bad usage or unusable input; 130 interrupted"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asyncmedia",
        description="Upload images, GIFs and video to X/Twitter, Mastodon and Bluesky, and post.",
        epilog="'asyncmedia COMMAND --help' lists a command's options and credential variables.",
    )
    parser.add_argument("--version", action="version", version=f"asyncmedia {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="upload, post or sandbox"
    )
    epilog = f"{_env_help(UPLOAD_SERVICES)}\n\n{_EXIT_HELP}"

    upload = commands.add_parser(
        "upload",
        help="upload files or URLs and print the results",
        description=(
            "Upload each PATH_OR_URL and print the result: one line per file on a terminal, "
            "JSON with --json or when stdout is not a terminal."
        ),
        epilog=epilog,
        formatter_class=_HelpFormatter,
    )
    upload.add_argument("sources", metavar="PATH_OR_URL", nargs="+", help="file paths or URLs")
    upload.add_argument(
        "--service",
        choices=UPLOAD_SERVICES,
        default=DEFAULT_SERVICE,
        help="where to upload (default: twitter, i.e. X API v1.1; x2 is X API v2)",
    )
    upload.add_argument(
        "--alt-text",
        metavar="TEXT",
        help="alt text (X: images and GIFs, max 1000 characters; Mastodon: the description, "
        "up to the instance's limit; Bluesky: only with the post command, not on an upload)",
    )
    for option in _service_options():
        users = ", ".join(spec.name for spec in REGISTRY if spec.option(option.flag))
        text = f"{option.help} ({users} only)"
        if option.boolean:
            upload.add_argument(
                option.flag,
                dest=_dest(option),
                action=argparse.BooleanOptionalAction,
                default=None,
                help=text,
            )
        else:
            metavar = option.metavar or option.flag.lstrip("-").upper().replace("-", "_")
            upload.add_argument(option.flag, dest=_dest(option), metavar=metavar, help=text)
    upload.add_argument(
        "--media-type", metavar="TYPE", help="MIME type (image/png), when sniffing gets it wrong"
    )
    upload.add_argument(
        "--concurrency",
        metavar="N",
        type=int,
        default=4,
        help="uploads at once when given several (default: 4)",
    )
    upload.add_argument("--json", action="store_true", help="print results as JSON")
    upload.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no notices")

    post = commands.add_parser(
        "post",
        help="post text with media on one or several services at once",
        description=(
            "Upload the media and publish TEXT with it on every --service concurrently; one "
            "line per service with the post's URL (JSON with --json or when stdout is not a "
            "terminal). When one service fails the others still post."
        ),
        epilog=epilog,
        formatter_class=_HelpFormatter,
    )
    post.add_argument("text", metavar="TEXT", help="the post's text")
    # default=[]: without it argparse reports the optional PATH_OR_URL as required too
    post.add_argument(
        "sources", metavar="PATH_OR_URL", nargs="*", default=[], help="media: paths or URLs"
    )
    post.add_argument(
        "--service",
        action="append",
        choices=UPLOAD_SERVICES,
        help="where to post; repeat for several (default: twitter, i.e. X API v1.1)",
    )
    post.add_argument(
        "--alt-text",
        metavar="TEXT",
        action="append",
        help='alt text of the media, one per PATH_OR_URL in order ("" for none)',
    )
    post.add_argument("--json", action="store_true", help="print results as JSON")
    post.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no notices")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local service emulator",
        description=(
            "Serve the emulator of every service on 127.0.0.1 and print, as JSON, each "
            "service's URL and credentials there; Ctrl-C (exit 130) or SIGTERM (exit 143) stops "
            "it cleanly."
        ),
    )
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    return parser


def _upload_options(args: argparse.Namespace, spec: ServiceSpec) -> dict[str, dict[str, Any]]:
    """The service-specific options given, by target (``"upload"``, ``"client"``), parsed.

    Refuses options the chosen service has no use for, instead of ignoring them.
    """
    if args.alt_text is not None and not spec.upload_alt_text:
        why = spec.alt_text_note or f"{spec.name} takes no alt text"
        if spec.post_alt_text:  # it does in a post: say how
            why += '; give it with the post command: asyncmedia post TEXT FILE --alt-text "..."'
        raise ValueError(f"--alt-text: {why}")
    given = {
        option.flag: value
        for option in _service_options()
        if (value := getattr(args, _dest(option))) is not None
    }
    misplaced = [flag for flag in given if spec.option(flag) is None]
    if misplaced:
        raise ValueError(f"{', '.join(misplaced)} cannot be used with --service {spec.name}")
    if args.concurrency < 1:
        raise ValueError("--concurrency must be at least 1")
    by_target: dict[str, dict[str, Any]] = {"upload": {}, "client": {}}
    for flag, value in given.items():
        option = spec.option(flag)
        assert option is not None
        by_target[option.target][option.keyword] = option.parse(value) if option.parse else value
    return by_target


class ProgressBar:
    """One tqdm bar over every upload's bytes; totals are added as uploads learn them.

    The bar is drawn as soon as a total is known and once more, complete, before it closes:
    a fast upload still shows it move (tqdm alone draws at most every ``mininterval``).
    """

    def __init__(self, enabled: bool, files: int, what: str = "files") -> None:
        self._bar: Any = None
        self._what = what
        if enabled:
            size = shutil.get_terminal_size((100, 24))
            self._bar = tqdm(
                total=0,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                desc=f"0/{files} {what}",
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
        """The ``progress(sent, total)`` callback of upload number ``index``."""

        def progress(sent: int, total: int) -> None:
            if self._bar is None:
                return
            before_sent, before_total = self._seen.get(index, (0, 0))
            self._seen[index] = (sent, total)
            if total != before_total:
                self._bar.total += total - before_total
                self._bar.refresh()  # a new total: draw the start now, whatever the interval
            self._bar.update(sent - before_sent)

        return progress

    def finished(self) -> None:
        """One more upload is over."""
        self._done += 1
        if self._bar is not None:
            self._bar.set_description(f"{self._done}/{self._files} {self._what}")

    def close(self) -> None:
        """Draw the final state once, then remove the bar."""
        if self._bar is not None:
            self._bar.refresh()
            self._bar.close()


async def _checked_source(
    client: Any, spec: ServiceSpec, source: Any, alt_text: str | None, media_type: str | None
) -> Any:
    """``source``, opened and refused before any upload when ``alt_text`` cannot go with it
    (alt text on a video for X): the check needs the media type, so the source is opened
    (and handed on open) when there is alt text."""
    if alt_text is None:
        return source
    opened = await client.open_source(source)
    try:
        kind = media_kind(await resolve_media_type(opened, media_type))
        if kind not in spec.upload_alt_text:
            raise ValueError(
                f"--alt-text: {spec.name} takes alt text for "
                f"{_kinds(spec.upload_alt_text)} only, not {kind}"
            )
    except BaseException:
        await opened.aclose()
        raise
    return opened


def _kinds(kinds: frozenset[str]) -> str:
    names = {"image": "images", "gif": "GIFs", "video": "video", "audio": "audio"}
    return " and ".join(names.get(kind, kind) for kind in sorted(kinds, key=list(names).index))


class _OneLineFormatter(logging.Formatter):
    """``asyncmedia: message``, with a logged exception as ``(Kind: text)``, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"asyncmedia: {record.getMessage()}"
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            line += f" ({type(exc).__name__}: {exc})"
        return line


def _not_our_own_hang_up(record: logging.LogRecord) -> bool:
    """Drop the embedded sandbox's log of a connection this command dropped (Ctrl-C, an
    upload given up): the command reports its own side of it."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (record.name.startswith("asyncmedia.sandbox") and isinstance(exc, ConnectionError))


@contextmanager
def _log_to_stderr(level: int) -> Iterator[None]:
    """Show the library's notices (sandbox fallback, retries waiting) as one-line messages,
    for the duration of the command (the logger is restored after: ``main`` may be called
    in-process)."""
    logger = logging.getLogger("asyncmedia")
    saved = logger.level, logger.propagate
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    handler.addFilter(_not_our_own_hang_up)
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


def _cli_words(message: str) -> str:
    """A library message in the command's words: ``pass media_type='image/png'`` (a keyword
    argument) becomes ``give --media-type image/png`` (the option), an ``alt_text`` or
    ``description`` over its limit is the ``--alt-text``."""
    message = re.sub(
        r"\bpass media_type= \(e\.g\. media_type='([^']*)'\)",
        r"give --media-type (e.g. --media-type \1)",
        message,
    )
    message = message.replace("pass media_type=", "give --media-type")
    # the alt text's length, whether the library calls it alt_text (X) or description (Mastodon)
    return re.sub(
        r"^(?:alt_text|description) is (\d+) characters; the limit is (\d+)$",
        r"--alt-text is \1 characters; the limit is \2: shorten it",
        message,
    )


def _error_line(source: str, exc: BaseException, spec: ServiceSpec | None = None) -> str:
    kind = "" if _exit_code_for(exc) == EXIT_USAGE else f"{type(exc).__name__}: "
    return f"asyncmedia: error: {source}: {kind}{_cli_words(str(exc))}{_hint(exc, spec)}"


def _hint(exc: BaseException, spec: ServiceSpec | None) -> str:
    """What to check when the service refused the credentials, or could not be reached: the
    variables this command read them from (none: it used the embedded sandbox, no hint)."""
    if spec is None or not spec.configured(os.environ):
        return ""
    if isinstance(exc, AuthenticationError):
        return f" (check {', '.join(n for n in spec.environment if os.environ.get(n))})"
    if isinstance(exc, TransportError) and not isinstance(exc, PostMayExist):
        urls = [name for name in spec.environment if name.endswith("_URL") and os.environ.get(name)]
        if urls:
            return f" (check {', '.join(urls)} and the network)"
    return ""


async def _upload(args: argparse.Namespace) -> int:
    spec = spec_for(args.service)
    options = _upload_options(args, spec)
    with _log_to_stderr(logging.ERROR if args.quiet else logging.WARNING):
        return await _upload_all(args, spec, options)


async def _upload_all(
    args: argparse.Namespace, spec: ServiceSpec, options: dict[str, dict[str, Any]]
) -> int:
    as_json = args.json or not sys.stdout.isatty()
    slots = asyncio.Semaphore(args.concurrency)
    async with client_from_env(spec.name, **options["client"]) as client:
        bar = ProgressBar(not args.quiet and sys.stderr.isatty(), len(args.sources))

        async def one(index: int, source: str) -> tuple[str, Any, Exception | None]:
            async with slots:
                given: Any = source
                try:
                    given = await _checked_source(
                        client, spec, source, args.alt_text, args.media_type
                    )
                    result = await spec.upload_one(
                        client,
                        given,
                        alt_text=args.alt_text,
                        media_type=args.media_type,
                        progress=bar.callback(index),
                        **options["upload"],
                    )
                except (AsyncMediaError, ValueError) as exc:
                    return source, None, exc
                finally:
                    if given is not source:  # opened here: ours to close (idempotent)
                        await given.aclose()
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
            print(_error_line(source, error, spec), file=sys.stderr)
            code = max(code, _exit_code_for(error))
            printable.append(
                {"source": source, "error": _cli_words(str(error)), "kind": type(error).__name__}
            )
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


def _local_kind(source: str) -> str | None:
    """The media kind of a local file, from its first bytes (or name); ``None`` for URLs and
    files that cannot be read (the upload itself then says what is wrong)."""
    if source.lower().startswith(("http://", "https://")):
        return None
    try:
        with open(source, "rb") as file:
            head = file.read(SNIFF_BYTES)
    except OSError:
        return None
    media_type = sniff_media_type(head) or media_type_from_name(source)
    return media_kind(media_type) if media_type else None


def _post_arguments(args: argparse.Namespace) -> tuple[list[ServiceSpec], list[str | None]]:
    """The services and the alt texts of ``post``, checked before anything is sent."""
    names = args.service or [DEFAULT_SERVICE]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"--service {', '.join(repeated)} given twice; each posts once")
    specs = [spec_for(name) for name in names]
    if not args.text and not args.sources:
        raise ValueError("give the post a TEXT or some media")
    alt_texts: list[str | None] = [None] * len(args.sources)
    if args.alt_text is not None:
        if len(args.alt_text) != len(args.sources):
            raise ValueError(
                f"--alt-text given {len(args.alt_text)} times for {len(args.sources)} media; "
                'give one per PATH_OR_URL, in order ("" for none)'
            )
        alt_texts = [text or None for text in args.alt_text]
    for source, alt_text in zip(args.sources, alt_texts, strict=True):
        kind = _local_kind(source) if alt_text is not None else None
        for spec in specs:
            if kind is not None and kind not in spec.post_alt_text:
                raise ValueError(
                    f"--alt-text for {source}: {spec.name} takes alt text for "
                    f"{_kinds(spec.post_alt_text)} only, not {kind}"
                )
    return specs, alt_texts


class _Reporting:
    """A PostingClient that tells ``done()`` when its post is over (for the progress bar)."""

    def __init__(self, client: Any, done: Any) -> None:
        self._client, self._done = client, done
        self.service = client.service

    async def upload_one(self, source: Any, **options: Any) -> Any:
        return await self._client.upload_one(source, **options)

    async def post(self, text: str, media: Sequence[Any] = (), **options: Any) -> Post:
        try:
            result: Post = await self._client.post(text, media, **options)
            return result
        finally:
            self._done()


def post_as_json(post: Post) -> dict[str, Any]:
    """The fields of a :class:`~asyncmedia.Post` worth printing (``raw`` left out)."""
    media = [result_as_json(item) if _is_dataclass(item) else item for item in post.media]
    return {"post_service": post.service, "id": post.id, "url": post.url, "media": media}


def _is_dataclass(item: Any) -> bool:
    return hasattr(item, "__dataclass_fields__") or isinstance(item, Blob)


async def _post(args: argparse.Namespace) -> int:
    specs, alt_texts = _post_arguments(args)
    with _log_to_stderr(logging.ERROR if args.quiet else logging.WARNING):
        return await _post_all(args, specs, alt_texts)


async def _post_all(
    args: argparse.Namespace, specs: list[ServiceSpec], alt_texts: list[str | None]
) -> int:
    as_json = args.json or not sys.stdout.isatty()
    async with clients_from_env([spec.name for spec in specs]) as clients:
        bar = ProgressBar(
            not args.quiet and sys.stderr.isatty() and bool(args.sources),
            len(specs),
            "services done",
        )
        try:
            results = await crosspost(
                args.text,
                args.sources,
                alt_texts=alt_texts,
                clients=[cast(PostingClient, _Reporting(c, bar.finished)) for c in clients],
                progress=bar.callback(0),
            )
        finally:
            bar.close()

    code = EXIT_OK
    printable: list[dict[str, Any]] = []
    for spec, result in zip(specs, results, strict=True):
        if isinstance(result, Post):
            if as_json:
                printable.append({"service": spec.name, **post_as_json(result)})
            else:
                print(f"{spec.name}: {result.url or result.id}")
            continue
        print(_error_line(spec.name, result, spec), file=sys.stderr)
        code = max(code, _exit_code_for(result))
        printable.append(
            {"service": spec.name, "error": _cli_words(str(result)), "kind": type(result).__name__}
        )
    failed = sum(not isinstance(result, Post) for result in results)
    if failed and failed < len(results):
        posted = ", ".join(
            spec.name for spec, r in zip(specs, results, strict=True) if isinstance(r, Post)
        )
        print(
            f"asyncmedia: {failed} of {len(results)} services failed; posted on {posted}",
            file=sys.stderr,
        )
    if as_json:
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
    """Serve until SIGINT or SIGTERM, then shut the sandbox down cleanly.

    The handlers are installed explicitly: a shell starts a background job with SIGINT
    ignored, and SIGTERM (containers, process managers) would otherwise kill the process
    without any cleanup.
    """
    from .sandbox import Sandbox

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        async with Sandbox(port=args.port) as sb:
            print(
                f"asyncmedia sandbox listening at {sb.base_url} (Ctrl-C or SIGTERM to stop)",
                file=sys.stderr,
            )
            print(json.dumps(sandbox_description(sb), indent=2), flush=True)
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    name = signal.Signals(received[0]).name
    print(f"asyncmedia: sandbox stopped ({name})", file=sys.stderr)
    return 128 + received[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``asyncmedia`` console script."""
    args = _parser().parse_args(argv)
    runners = {"upload": _upload, "post": _post, "sandbox": _sandbox}
    try:
        return asyncio.run(runners[args.command](args))
    except KeyboardInterrupt:
        print("asyncmedia: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (AsyncMediaError, ValueError) as exc:
        kind = "" if _exit_code_for(exc) == EXIT_USAGE else f"{type(exc).__name__}: "
        print(f"asyncmedia: error: {kind}{_cli_words(str(exc))}", file=sys.stderr)
        return _exit_code_for(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
