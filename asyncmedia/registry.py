"""The one list of services: what each is called, which client serves it, how it is configured.

Everything that needs to know "which services are there" reads :data:`REGISTRY`:
:mod:`asyncmedia.environment` (the variables, :func:`~asyncmedia.environment.client_from_env`),
the ``asyncmedia`` command (``--service`` choices, the options a service accepts, the
``sandbox`` command's JSON) and the docs' feature table (a test checks it lists exactly these
services).  Adding a service is one :class:`ServiceSpec` appended to :data:`REGISTRY`; nothing
else in this module or in the CLI names a service.

A spec is data: the client class, the constructor keywords read from environment variables
(:attr:`ServiceSpec.credentials`, alternatives of which exactly one must be complete), how to
point the client at a running :class:`~asyncmedia.sandbox.Sandbox`, and what the service can
do: upload and post through the common :class:`~asyncmedia.PostingClient` interface, alt text
for which kinds of media, and service-specific upload options (:class:`Option`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .client import MediaClient
from .services import BlueskyClient, MastodonClient, StatusNetClient, TwitPicClient, TwitrPixClient

__all__ = [
    "DEFAULT_SERVICE",
    "REGISTRY",
    "Option",
    "ServiceSpec",
    "media_kind",
    "parse_focus",
    "posting_services",
    "spec_for",
]

log = logging.getLogger("asyncmedia")

#: Media kinds, as :func:`media_kind` names them.
ALL_KINDS = frozenset({"image", "gif", "video", "audio"})


def media_kind(media_type: str) -> str:
    """``"gif"``, ``"image"``, ``"video"`` or ``"audio"`` for a MIME type (else the type)."""
    media_type = media_type.split(";")[0].strip().lower()
    if media_type == "image/gif":
        return "gif"
    major = media_type.split("/")[0]
    return major if major in ("image", "video", "audio") else media_type


def parse_focus(text: str) -> tuple[float, float]:
    """``"0.5,-0.5"`` → ``(0.5, -0.5)``: a Mastodon focal point.

    :raises ValueError: not two comma-separated numbers.
    """
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--focus must be X,Y (two numbers), got {text!r}") from None
    return x, y


@dataclass(frozen=True)
class Option:
    """A service-specific option of ``asyncmedia upload``.

    ``flag`` is the command-line flag; ``keyword`` the keyword argument it becomes — of
    ``upload_one`` when ``target`` is ``"upload"``, of the client's constructor when it is
    ``"client"``.  ``parse`` turns the flag's text into the value (raising ``ValueError``);
    ``boolean`` makes it a ``--flag/--no-flag`` pair.
    """

    flag: str
    keyword: str
    help: str
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    boolean: bool = False
    target: str = "upload"


@dataclass(frozen=True)
class ServiceSpec:
    """One service, as the environment module, the CLI and the docs see it.

    ``name``
        the ``--service`` / :func:`~asyncmedia.environment.client_from_env` name.
    ``title``
        the service's name in the docs' feature table; ``docs`` its documentation page.
    ``client``
        the client class.
    ``credentials``
        alternatives of ``{constructor keyword: environment variable}``; exactly one must be
        set completely (none set at all: the sandbox is used).
    ``optional``
        ``{constructor keyword: environment variable}`` read when set.
    ``fixed``
        constructor keywords this service always passes (``api_version=2``).
    ``sandbox_client``
        the client's constructor keywords on a running sandbox (default: the service's entry
        in the sandbox's own registry, ``sb.describe()[name]``, as ``asyncmedia sandbox``
        prints it; the sandbox side registers the service under the same name).
    ``sandbox_setup``
        called with the sandbox before the client is built (e.g. no simulated transcoding).
    ``sandbox_options``
        client options used on the sandbox unless the caller gives them.
    ``posts``
        the :attr:`Post.service <asyncmedia.Post.service>` name when the client implements
        the :class:`~asyncmedia.PostingClient` interface (``upload_one`` and ``post``),
        else ``None``.
    ``upload_alt_text`` / ``post_alt_text``
        the media kinds (:func:`media_kind`) that take alt text when uploading alone, and in
        a post; ``alt_text_note`` says why when uploading takes none.
    ``options``
        the service-specific options of ``asyncmedia upload``; ``upload_with_options`` the
        client's own upload call that takes them (``upload_one`` takes the shared ones only).
    ``fallback``
        ``{optional variable: variable read when it is unset}`` (``ASYNCMEDIA_X2_UPLOAD_URL``
        falls back to the shared ``ASYNCMEDIA_UPLOAD_URL``).
    ``prefer_first``
        when several ``credentials`` alternatives are set, use the first complete one instead
        of refusing (``x2``: the bearer token, when the four OAuth 1.0a keys are also set
        for ``twitter``).
    """

    name: str
    title: str
    client: type
    docs: str
    credentials: tuple[Mapping[str, str], ...]
    optional: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    sandbox_client: Callable[[Any], dict[str, Any]] | None = None
    sandbox_setup: Callable[[Any], None] | None = None
    sandbox_options: Mapping[str, Any] = field(default_factory=dict)
    posts: str | None = None
    upload_alt_text: frozenset[str] = frozenset()
    post_alt_text: frozenset[str] = frozenset()
    alt_text_note: str = ""
    options: tuple[Option, ...] = ()
    upload_with_options: Callable[..., Awaitable[Any]] | None = None
    fallback: Mapping[str, str] = field(default_factory=dict)
    prefer_first: bool = False

    async def upload_one(
        self,
        client: Any,
        source: Any,
        *,
        alt_text: str | None = None,
        media_type: str | None = None,
        progress: Any = None,
        **options: Any,
    ) -> Any:
        """``client.upload_one(source, ...)``, the :class:`~asyncmedia.PostingClient` call.

        ``upload_one`` takes only the keywords every service shares; with this service's own
        ``options`` (:attr:`options`: ``focus``, ``media_category``…) the upload goes through
        ``upload_with_options``, the client's full upload method called the same way.
        """
        if options:
            if self.upload_with_options is None:
                raise TypeError(f"{type(client).__name__} cannot upload with {sorted(options)}")
            return await self.upload_with_options(
                client,
                source,
                alt_text=alt_text,
                media_type=media_type,
                progress=progress,
                **options,
            )
        return await client.upload_one(
            source, alt_text=alt_text, media_type=media_type, progress=progress
        )

    @property
    def environment(self) -> tuple[str, ...]:
        """Every variable this service reads: the credentials first, then the optional ones."""
        names: list[str] = []
        for group in self.credentials:
            names += [name for name in group.values() if name not in names]
        for name in self.optional.values():
            names += [n for n in (name, self.fallback.get(name)) if n and n not in names]
        return tuple(names)

    def configured(self, env: Mapping[str, str]) -> bool:
        """Whether ``env`` sets any of this service's credential variables (else: sandbox)."""
        return any(env.get(name) for group in self.credentials for name in group.values())

    def lookup(self, env: Mapping[str, str], name: str) -> str | None:
        """The value of ``name`` in ``env``, else of the variable it falls back to
        (:attr:`fallback`), else ``None``."""
        value = env.get(name)
        if not value and name in self.fallback:
            value = env.get(self.fallback[name])
        return value or None

    def from_env(self, env: Mapping[str, str], options: Mapping[str, Any]) -> Any:
        """The client for the credentials in ``env``, or ``None`` when none of them is set.

        When several credential alternatives are set: with :attr:`prefer_first` the first
        complete one is used (logged at debug level), else it is refused.

        :raises ValueError: a credential set is incomplete, two are mixed, or an optional
            variable is set without any credentials; the message says what to set or unset.
        """
        started = [group for group in self.credentials if any(env.get(n) for n in group.values())]
        if self.prefer_first and len(started) > 1:
            complete = [g for g in started if all(env.get(n) for n in g.values())]
            started = complete[:1] or started[:1]
        if len(started) > 1:
            present = [name for group in started for name in group.values() if env.get(name)]
            raise _setup_error(
                self.title,
                present,
                "together, but they are alternative credentials",
                f"Keep only one: {_either(started)}",
                [name for group in started for name in group.values()],
            )
        if not started:
            stray = [name for name in self.optional.values() if self.lookup(env, name)]
            stray = [self.fallback.get(n, n) if not env.get(n) else n for n in stray]
            if stray:
                raise _setup_error(
                    self.title,
                    stray,
                    "without credentials",
                    f"Set {_either(self.credentials)}",
                    stray,
                )
            return None
        group = started[0]
        missing = [name for name in group.values() if not env.get(name)]
        if missing:
            present = [name for name in group.values() if env.get(name)]
            raise _setup_error(
                self.title,
                present,
                f"without {_all_of(missing)}",
                f"Set {'it' if len(missing) == 1 else 'them'} too",
                present,
            )
        if len(self.credentials) > 1:
            unused = [
                name
                for other in self.credentials
                if other is not group
                for name in other.values()
                if env.get(name)
            ]
            log.debug(
                "%s: authenticating with %s%s",
                self.name,
                _all_of(list(group.values())),
                f" ({_all_of(unused)} set too, unused)" if unused else "",
            )
        kwargs: dict[str, Any] = {arg: env[name] for arg, name in group.items()}
        for arg, name in self.optional.items():
            value = self.lookup(env, name)
            if value:
                kwargs[arg] = value
        return self.client(**self.fixed, **kwargs, **options)

    def from_sandbox(self, sb: Any, options: Mapping[str, Any]) -> tuple[Any, str]:
        """A client pointed at the running sandbox ``sb``, and the service's URL there."""
        if self.sandbox_setup is not None:
            self.sandbox_setup(sb)
        kwargs = (self.sandbox_client or self.sandbox_settings)(sb)
        url = next(str(value) for key, value in kwargs.items() if key.endswith("_url"))
        return self.client(**kwargs, **{**self.sandbox_options, **options}), url

    def sandbox_settings(self, sb: Any) -> dict[str, Any]:
        """This service's URL and credentials on the running sandbox ``sb``."""
        settings: dict[str, Any] = sb.describe()[self.name]
        return settings

    def option(self, flag: str) -> Option | None:
        """This service's :class:`Option` for ``flag``, if it has one."""
        return next((option for option in self.options if option.flag == flag), None)


def _all_of(names: list[str]) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _either(groups: Any) -> str:
    """``"A and B"`` for one group of variables, ``"either A and B, or C"`` for several."""
    texts = [_all_of(list(group.values())) for group in groups]
    return texts[0] if len(texts) == 1 else "either " + ", or ".join(texts)


def _setup_error(
    title: str, present: list[str], problem: str, todo: str, unset: list[str]
) -> ValueError:
    """The one message for a service's incomplete or mixed environment variables.

    ``"Bluesky: ASYNCMEDIA_BLUESKY_URL is set without credentials. Set either … Or unset
    ASYNCMEDIA_BLUESKY_URL to use the embedded sandbox."``: what is set, what is wrong, what
    to set, and what to unset for the sandbox instead.
    """
    verb = "is" if len(present) == 1 else "are"
    return ValueError(
        f"{title}: {_all_of(present)} {verb} set {problem}. {todo}. "
        f"Or unset {_all_of(unset)} to use the embedded sandbox."
    )


_TWITTER_KEYS = {
    "consumer_key": "ASYNCMEDIA_CONSUMER_KEY",
    "consumer_secret": "ASYNCMEDIA_CONSUMER_SECRET",
    "access_token": "ASYNCMEDIA_ACCESS_TOKEN",
    "access_token_secret": "ASYNCMEDIA_ACCESS_TOKEN_SECRET",
}
_X_OPTIONS = (
    Option("--media-category", "media_category", "e.g. tweet_image, tweet_gif, tweet_video"),
    Option(
        "--chunked",
        "chunked",
        "force (or forbid) the chunked uploader; chosen by size and type by default",
        boolean=True,
    ),
    Option(
        "--upload-url",
        "upload_url",
        "X media upload API root (default: X's, for the chosen version)",
        target="client",
    ),
)
_X_ALT = frozenset({"image", "gif"})


def _no_transcoding(sb: Any) -> None:
    sb.mastodon.processing_steps = 1  # a demo need not wait for simulated transcoding


#: Every service, in the order the CLI and the docs list them.
REGISTRY: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="twitter",
        title="X/Twitter API v1.1",
        client=MediaClient,
        docs="services/x_v2",
        credentials=(_TWITTER_KEYS,),
        optional={"upload_url": "ASYNCMEDIA_UPLOAD_URL", "api_url": "ASYNCMEDIA_API_URL"},
        posts="x",
        upload_alt_text=_X_ALT,
        post_alt_text=_X_ALT,
        options=_X_OPTIONS,
        upload_with_options=lambda client, source, **kw: client.upload_media(source, **kw),
    ),
    ServiceSpec(
        name="x2",
        title="X API v2",
        client=MediaClient,
        docs="services/x_v2",
        credentials=({"bearer_token": "ASYNCMEDIA_X_BEARER_TOKEN"}, _TWITTER_KEYS),
        # the four keys may be there for ``twitter``: the bearer token wins when set
        prefer_first=True,
        optional={"upload_url": "ASYNCMEDIA_X2_UPLOAD_URL"},
        fallback={"ASYNCMEDIA_X2_UPLOAD_URL": "ASYNCMEDIA_UPLOAD_URL"},
        fixed={"api_version": 2},
        # the sandbox's x2 entry also lists the OAuth 1.0a keys: use the bearer token alone
        sandbox_client=lambda sb: (
            {key: sb.describe()["x2"][key] for key in ("upload_url", "bearer_token")}
            | {"api_version": 2}
        ),
        posts="x",
        upload_alt_text=_X_ALT,
        post_alt_text=_X_ALT,
        options=_X_OPTIONS,
        upload_with_options=lambda client, source, **kw: client.upload_media(source, **kw),
    ),
    ServiceSpec(
        name="mastodon",
        title="Mastodon",
        client=MastodonClient,
        docs="services/mastodon",
        credentials=(
            {
                "instance_url": "ASYNCMEDIA_MASTODON_URL",
                "access_token": "ASYNCMEDIA_MASTODON_TOKEN",
            },
        ),
        sandbox_setup=_no_transcoding,
        sandbox_options={"poll_interval": 0.2},
        posts="mastodon",
        upload_alt_text=ALL_KINDS,
        post_alt_text=ALL_KINDS,
        upload_with_options=lambda client, source, *, alt_text, **kw: client.upload_media(
            source, description=alt_text, **kw
        ),
        options=(
            Option(
                "--focus",
                "focus",
                "Mastodon focal point, two numbers in -1.0..1.0",
                metavar="X,Y",
                parse=parse_focus,
            ),
        ),
    ),
    ServiceSpec(
        name="bluesky",
        title="Bluesky",
        client=BlueskyClient,
        docs="services/bluesky",
        credentials=(
            {
                "identifier": "ASYNCMEDIA_BLUESKY_IDENTIFIER",
                "password": "ASYNCMEDIA_BLUESKY_PASSWORD",
            },
            {"access_jwt": "ASYNCMEDIA_BLUESKY_JWT"},
        ),
        optional={"service_url": "ASYNCMEDIA_BLUESKY_URL"},
        posts="bluesky",
        post_alt_text=frozenset({"image", "gif", "video"}),
        alt_text_note="on Bluesky alt text belongs to the post's image embed, not the blob",
    ),
    ServiceSpec(
        name="twitpic",
        title="TwitPic",
        client=TwitPicClient,
        docs="services/classic",
        credentials=({"api_key": "ASYNCMEDIA_TWITPIC_API_KEY", **_TWITTER_KEYS},),
        optional={"base_url": "ASYNCMEDIA_TWITPIC_URL"},
        sandbox_client=lambda sb: {**sb.describe()["twitpic"], **sb.credentials},
    ),
    ServiceSpec(
        name="twitrpix",
        title="TwitrPix",
        client=TwitrPixClient,
        docs="services/classic",
        credentials=({"api_key": "ASYNCMEDIA_TWITRPIX_API_KEY", **_TWITTER_KEYS},),
        optional={"base_url": "ASYNCMEDIA_TWITRPIX_URL"},
        sandbox_client=lambda sb: {**sb.describe()["twitrpix"], **sb.credentials},
    ),
    ServiceSpec(
        name="statusnet",
        title="StatusNet/identi.ca",
        client=StatusNetClient,
        docs="services/classic",
        credentials=(
            {
                "username": "ASYNCMEDIA_STATUSNET_USERNAME",
                "password": "ASYNCMEDIA_STATUSNET_PASSWORD",
            },
        ),
        optional={"base_url": "ASYNCMEDIA_STATUSNET_URL"},
    ),
)


#: The service ``asyncmedia upload``/``post`` and ``client_from_env`` use when none is named
#: (X API v1.1, as before there was a choice).
DEFAULT_SERVICE = "twitter"


def spec_for(name: str) -> ServiceSpec:
    """The :class:`ServiceSpec` called ``name``.

    :raises ValueError: no service has that name.
    """
    for spec in REGISTRY:
        if spec.name == name:
            return spec
    names = ", ".join(spec.name for spec in REGISTRY)
    raise ValueError(f"unknown service {name!r}; choose one of {names}")


def posting_services() -> tuple[str, ...]:
    """The names of the services whose client implements :class:`~asyncmedia.PostingClient`."""
    return tuple(spec.name for spec in REGISTRY if spec.posts is not None)
