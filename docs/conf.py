"""Sphinx configuration for the asyncmedia documentation (``make docs``)."""

from __future__ import annotations

from importlib.metadata import version as _version

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
