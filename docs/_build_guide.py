"""Fill the generated blocks of the user guide with real ``frg`` output.

A page of ``docs/guide/`` marks a generated block with an HTML comment and ends it with
``<!-- end -->``; everything between the two lines is rewritten:

- ``<!-- help: CMD -->``: the output of ``frg CMD --help`` (CMD may be ``sweep flow``),
  formatted at 80 columns;
- ``<!-- run: frg CMD OPTIONS -->``: the command line and what it printed on stdout,
  run in a fresh temporary folder (files it writes go there).

Usage (from the repository root, with frg installed)::

    python docs/_build_guide.py               # every block of every page
    python docs/_build_guide.py --help-only   # only the --help blocks (seconds)
    python docs/_build_guide.py docs/guide/cli/flow.md   # one page

``tests/test_docs.py`` checks that every help block equals the current ``--help``
output, so a changed option fails the tests until this script is re-run.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide"
BLOCK = re.compile(r"^<!-- (help|run): (.+?) -->\n(.*?)^<!-- end -->$", re.S | re.M)
COLUMNS = 80


def command_help(command: str) -> str:
    """``frg COMMAND --help`` as printed at 80 columns (COMMAND: e.g. "flow", "sweep flow")."""
    from frg.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(COLUMNS)
    try:
        parser = build_parser()
        for word in command.split():
            sub = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            parser = sub[0].choices[word]
        return parser.format_help().rstrip() + "\n"
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def run_example(command_line: str) -> str:
    """Run ``frg ...`` in a fresh temporary folder; return ``$ command`` plus its stdout."""
    argv = shlex.split(command_line)
    if argv[0] != "frg":
        raise ValueError(f"a run block must start with 'frg': {command_line!r}")
    env = dict(os.environ, COLUMNS=str(COLUMNS), PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "frg.cli", *argv[1:]],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"{command_line!r} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return f"$ {command_line}\n{proc.stdout.rstrip()}\n"


def help_blocks(text: str) -> list[tuple[str, str]]:
    """``(command, block text)`` for every help block of a page (for the tests)."""
    return [(m.group(2), m.group(3)) for m in BLOCK.finditer(text) if m.group(1) == "help"]


def fenced(body: str) -> str:
    return f"```text\n{body}```\n"


def render(path: Path, help_only: bool = False) -> bool:
    """Rewrite the generated blocks of one page; return whether it changed."""
    text = path.read_text()

    def replace(m: re.Match) -> str:
        kind, arg, old = m.group(1), m.group(2), m.group(3)
        if kind == "help":
            body = fenced(command_help(arg))
        elif help_only:
            body = old
        else:
            print(f"  running: {arg}", file=sys.stderr, flush=True)
            body = fenced(run_example(arg))
        return f"<!-- {kind}: {arg} -->\n{body}<!-- end -->"

    new = BLOCK.sub(replace, text)
    if new != text:
        path.write_text(new)
    return new != text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pages", nargs="*", type=Path, help="pages to rebuild (default: all)")
    ap.add_argument("--help-only", action="store_true", help="rebuild only the --help blocks")
    args = ap.parse_args()
    pages = args.pages or sorted(GUIDE.rglob("*.md"))
    for page in pages:
        print(f"{page}", file=sys.stderr, flush=True)
        if render(page, args.help_only):
            print("  updated", file=sys.stderr)


if __name__ == "__main__":
    main()
