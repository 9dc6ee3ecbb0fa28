"""Sphinx configuration for the asyncmedia documentation (``make docs``)."""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import Any

project = "asyncmedia"
author = "asyncmedia developers"
copyright = "2026, asyncmedia developers"
release = _version("asyncmedia")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
html_theme = "furo"
html_title = f"asyncmedia {release}"
exclude_patterns = ["_build"]
nitpicky = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
suppress_warnings = ["ref.python"]


def _resolve_public_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Link ``asyncmedia.X`` (and a bare ``X``) to where api.rst documents the public name X.

    The API reference documents some public names under their defining module (the errors as
    ``asyncmedia.errors.APIError``, ...), while the guide writes ``:class:`~asyncmedia.APIError```
    as users import it; Sphinx would leave such references unlinked.
    """
    import asyncmedia

    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].removeprefix("asyncmedia.")
    head, dot, rest = target.partition(".")
    if head not in asyncmedia.__all__:
        return None
    canonical = f"{getattr(asyncmedia, head).__module__}.{head}{dot}{rest}"
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
    )


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_public_name)
