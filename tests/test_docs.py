"""The documentation: the user guide builds without warnings, covers every command,
shows each command's current ``--help``, and its Python example runs as shown."""

from __future__ import annotations

import argparse
import doctest
import importlib.util
import re
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


def test_command_pages_show_the_current_help():
    builder = _guide_builder()
    stale = []
    for name in _commands():
        text = (DOCS / "guide" / "cli" / f"{name}.md").read_text()
        blocks = builder.help_blocks(text)
        assert any(cmd == name for cmd, _ in blocks), f"{name}.md has no help block"
        for cmd, block in blocks:
            if block != builder.fenced(builder.command_help(cmd)):
                stale.append(cmd)
    assert not stale, (
        f"the --help of {stale} changed: run `python docs/_build_guide.py --help-only` "
        "(and rerun the examples of the changed commands)"
    )


def test_command_pages_show_a_real_run():
    # a generated run block, or (for a command too long to run for the guide) the
    # output of a run pasted as `$ frg NAME ...`
    for name in _commands():
        text = (DOCS / "guide" / "cli" / f"{name}.md").read_text()
        runs = re.findall(rf"^```text\n\$ frg {name}\b.*?\n(.+?)^```", text, re.S | re.M)
        assert runs and all(out.strip() for out in runs), f"docs/guide/cli/{name}.md shows no run"


@pytest.mark.slow
def test_getting_started_python_example():
    # the page's `>>>` session is a doctest: the published ν and the broken phase
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    res = doctest.testfile(
        str(DOCS / "guide" / "getting_started.md"), module_relative=False, optionflags=flags
    )
    assert res.attempted >= 6 and res.failed == 0


def _notebook_builder():
    spec = importlib.util.spec_from_file_location("_nb_build", ROOT / "notebooks" / "_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_notebooks_are_built_from_build_py(tmp_path):
    # the committed notebooks are exactly what notebooks/_build.py writes
    builder = _notebook_builder()
    builder.write_all(tmp_path)
    built = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    committed = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert built == committed
    for name in built:
        assert (tmp_path / name).read_text() == (ROOT / "notebooks" / name).read_text(), (
            f"notebooks/{name} differs from notebooks/_build.py: run `python notebooks/_build.py`"
        )


def test_notebooks_show_figures_inline_and_check_them():
    # figures render inline (no Agg backend); the image counter starts after the setup
    # cell and the last cell fails the notebook (and so nbmake in CI) if none was shown
    import nbformat

    builder = _notebook_builder()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        code = [c.source for c in cells if c.cell_type == "code"]
        assert not any("matplotlib.use(" in src for src in code), path.name
        assert code[-1] == builder.CHECK_FIGURES.strip(), path.name
        assert builder.COUNT_FIGURES.strip() in code, path.name
        first_plot = next(i for i, src in enumerate(code) if "plt." in src and "import" not in src)
        assert code.index(builder.COUNT_FIGURES.strip()) < first_plot, path.name
