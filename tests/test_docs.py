"""The documentation: the user guide builds without warnings, covers every command,
shows each command's current ``--help``, and its Python example runs as shown."""

from __future__ import annotations

import argparse
import doctest
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _guide_builder():
    spec = importlib.util.spec_from_file_location("_build_guide", DOCS / "_build_guide.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _commands() -> list[str]:
    from frg.cli import build_parser

    sub = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub[0].choices)


def test_site_builds_strict(tmp_path):
    # mkdocs --strict turns every warning (broken link or anchor, page missing from the
    # nav that it names, bad config) into an error
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    # the developer guide (docs/README.md) is published beside the home page
    assert (tmp_path / "site" / "developer" / "index.html").is_file()
    for page in ("guide/cli/flow", "theory/conventions", "theory/cascade"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page


def test_every_command_has_a_page_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {p.stem for p in (DOCS / "guide" / "cli").glob("*.md")}
    commands = set(_commands())
    assert pages == commands, (
        f"pages without command: {pages - commands}, commands without page: {commands - pages}"
    )
    for name in commands:
        assert f"guide/cli/{name}.md" in nav, f"docs/guide/cli/{name}.md is not in mkdocs.yml"


@pytest.mark.slow
def test_getting_started_python_example():
    # the page's `>>>` session is a doctest: the published ν and the broken phase
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    res = doctest.testfile(
        str(DOCS / "guide" / "getting_started.md"), module_relative=False, optionflags=flags
    )
    assert res.attempted >= 6 and res.failed == 0
