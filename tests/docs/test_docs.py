"""The documentation covers the public API, and its pytest example works as a user runs it.

(The Python blocks of README.rst and docs/ themselves run through sybil: see conftest.py at
the repository root.)
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.rest import PythonCodeBlockParser

import asyncmedia

ROOT = Path(__file__).resolve().parents[2]
API_RST = ROOT / "docs" / "api.rst"

_DIRECTIVE = re.compile(
    r"^\.\. (?:auto)?(?:class|function|exception|data|attribute)::\s+(\S+)", re.MULTILINE
)
_AUTOMODULE = re.compile(r"^\.\. automodule::\s+(\S+)\n((?:[ \t]+:.*\n)*)", re.MULTILINE)


def documented_in_api_rst() -> set[str]:
    """Dotted names api.rst documents: its object directives and automodule members."""
    text = API_RST.read_text(encoding="utf-8")
    names = set(_DIRECTIVE.findall(text))
    for module_name, options in _AUTOMODULE.findall(text):
        members = re.search(r":members:(.*)", options)
        if members is None:
            continue
        listed = [m.strip() for m in members.group(1).split(",") if m.strip()]
        if not listed:  # ":members:" alone: everything the module exports
            listed = list(getattr(__import__(module_name, fromlist=["_"]), "__all__", []))
        names.update(f"{module_name}.{member}" for member in listed)
    return names


def test_all_is_sorted() -> None:
    assert asyncmedia.__all__ == sorted(asyncmedia.__all__)


@pytest.mark.parametrize("name", asyncmedia.__all__)
def test_public_name_is_documented(name: str) -> None:
    obj = getattr(asyncmedia, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        doc = obj.__doc__ or ""
        # A dataclass without a docstring gets its signature as __doc__: not documentation.
        assert doc.strip() and not doc.startswith(f"{obj.__name__}("), f"{name} has no docstring"
        places = {f"asyncmedia.{name}", f"{obj.__module__}.{name}"}
    else:
        places = {f"asyncmedia.{name}"}
    assert places & documented_in_api_rst(), f"{name} is not in docs/api.rst"


def test_pytest_plugin_example_runs(tmp_path: Path) -> None:
    """The ``test_bot.py`` of docs/sandbox.rst passes in a project of its own."""
    document = Sybil([PythonCodeBlockParser()]).parse(ROOT / "docs" / "sandbox.rst")
    (source,) = [
        str(example.parsed)
        for example in document.examples()
        if str(example.parsed).startswith("# test_bot.py")
    ]
    (tmp_path / "test_bot.py").write_text(source, encoding="utf-8")
    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bot.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


_IMPORT_WITH_ONLY = """
import importlib, importlib.abc, json, sys
blocked = set(json.loads(sys.argv[1]))

class OnlyTheseDistributions(importlib.abc.MetaPathFinder):
    # as in a virtualenv where only the allowed distributions are installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, OnlyTheseDistributions())
for name in sys.argv[2:]:
    importlib.import_module(name)
"""


def _requirement_closure(requirements: list[str], extras: set[str]) -> set[str]:
    """The distributions ``requirements`` install, transitively (normalised names)."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [(text, extras) for text in requirements]
    while todo:
        text, active = todo.pop()
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is not None and not any(
            marker.evaluate({"extra": extra}) for extra in (active or {""})
        ):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        with contextlib.suppress(PackageNotFoundError):  # not installed: nothing to follow
            todo += [(sub, set(requirement.extras)) for sub in requires(requirement.name) or []]
    return seen


def test_the_docs_extra_installs_everything_autodoc_imports() -> None:
    """``make docs`` on a fresh clone installs only ``.[docs]``: whatever importing the
    documented modules pulls in must come from the base dependencies or that extra (it once
    missed pytest, which asyncmedia.pytest_plugin imports)."""
    import tomllib
    from importlib.metadata import packages_distributions

    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    allowed = _requirement_closure(
        [*project["dependencies"], *project["optional-dependencies"]["docs"]], set()
    )
    text = API_RST.read_text(encoding="utf-8")
    modules = ["asyncmedia", *(name for name, _ in _AUTOMODULE.findall(text))]
    # every top-level module of an installed distribution the docs extra would not install
    blocked = sorted(
        top
        for top, dists in packages_distributions().items()
        if top != "asyncmedia" and not {canonicalize_name(d) for d in dists} & allowed
    )
    assert "pytest_asyncio" in blocked  # installed here by the test extra, not by docs
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITH_ONLY, json.dumps(blocked), *modules],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, f"add it to the docs extra in pyproject.toml:\n{done.stderr}"


def _feature_table() -> dict[str, list[str]]:
    """The feature table of docs/services/index.rst: ``{service title: its cells}``."""
    text = (ROOT / "docs" / "services" / "index.rst").read_text(encoding="utf-8")
    table = text.split("Which service supports what", 1)[1].split("\n\n.. list-table::", 1)[1]
    table = table.split("\n\n", 2)[1]  # after the options block
    rows: dict[str, list[str]] = {}
    for row in ("\n" + table).split("\n   * - ")[1:]:
        cells = [" ".join(cell.split()) for cell in row.split("\n     - ")]
        rows[cells[0].split(" (")[0]] = cells
    return rows


def test_the_feature_table_lists_exactly_the_registered_services() -> None:
    from asyncmedia.registry import REGISTRY

    rows = _feature_table()
    header = rows.pop("Service")
    assert header[-1] == "Posts"
    assert set(rows) == {spec.title for spec in REGISTRY}
    for spec in REGISTRY:
        cells = rows[spec.title]
        assert f"``{spec.client.__name__}" in cells[0], cells[0]
        assert cells[-1].startswith("yes" if spec.posts else "no"), (spec.name, cells[-1])
        assert (ROOT / "docs" / f"{spec.docs}.rst").is_file(), spec.docs
