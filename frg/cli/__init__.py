"""The ``frg`` command-line tool.

Each sub-command lives in its own module ``frg.cli.<name>`` (no leading
underscore; discovered automatically, so adding a command touches no shared file)
that defines ``register(subparsers)``; the module adds its parser with
:func:`frg.cli._common.add_command`, which gives every command the shared
``--json`` flag and a ``run(args) -> dict`` handler. With ``--json`` exactly one
JSON object is printed on stdout; progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys


class _Parser(argparse.ArgumentParser):
    """``argparse`` parser that, in ``--json`` mode, also reports a usage error as JSON."""

    json_errors = False

    def error(self, message):
        if self.json_errors:  # the --json contract holds for bad options too
            print(json.dumps({"status": "error", "error": f"{self.prog}: {message}"}))
        super().error(message)


def command_modules() -> list[str]:
    """Names of the sub-command modules ``frg/cli/<name>.py`` (public names only)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def build_parser(json_errors: bool = False) -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command.

    With ``json_errors`` a usage error (unknown option, bad value) is also printed as
    one JSON object ``{"status": "error", "error": ...}`` on stdout (exit status 2).
    """
    cls = type("Parser", (_Parser,), {"json_errors": json_errors})  # sub-parsers inherit it
    parser = cls(
        prog="frg",
        description="Functional renormalization group flows in JAX (float64).",
    )
    from frg import __version__

    parser.add_argument("--version", action="version", version=f"frg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules():
        importlib.import_module(f"frg.cli.{name}").register(sub)
    return parser


def _compilation_cache() -> None:
    """Persistent XLA compilation cache for the CLI's own process.

    A repeated command compiles from the cache: ``frg exponents`` 5.3 → 2.0 s of
    compile (tracing and lowering are not cached), 10.5 → 6.5 s wall on 2 CPU cores.
    JAX does not cache programs with host callbacks: the LPA flow solve (``frg flow``,
    ``frg quickstart``) contains diffrax's run-time argument checks (equinox
    ``error_if``) and is compiled every time.
    The cache lives in ``$XDG_CACHE_HOME/frg/jax`` (default ``~/.cache/frg/jax``); a
    directory the user chose (``JAX_COMPILATION_CACHE_DIR``) is kept, and
    ``FRG_JAX_CACHE=0`` turns it off. The library itself never sets it.
    """
    import jax

    if os.environ.get("FRG_JAX_CACHE", "1") == "0" or jax.config.jax_compilation_cache_dir:
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    jax.config.update("jax_compilation_cache_dir", os.path.join(base, "frg", "jax"))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``frg`` console script (turns JAX's float64 flag and a
    persistent compilation cache on for its process: :func:`_compilation_cache`).

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``).

    Returns:
        Exit status: 0 success, 2 bad input or no command.

    Example:
        >>> from frg.cli import main
        >>> main(["flow", "--d", "5", "--json"])   # same as `frg flow --d 5 --json`
        {"status": "error", "error": "d must ...; got 5.0"}
        2
    """
    import jax

    # The CLI owns its process: physics in float64 (see frg/_x64.py for the library policy).
    jax.config.update("jax_enable_x64", True)
    _compilation_cache()
    from ._common import run_command

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(json_errors="--json" in argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return run_command(args, parser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
