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
    JAX does not cache programs with host callbacks; the run-time checks inside diffrax's
    solves (equinox ``error_if``) are host callbacks unless the process sets equinox's
    error mode to ``nan`` (:func:`console` does).
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


def _error_checks_without_callbacks() -> None:
    """Equinox's run-time checks (``error_if``, e.g. diffrax's argument checks inside a
    compiled solve) return NaN instead of raising through a host callback, so that the
    programs containing them can be written to the persistent compilation cache.

    Only for a process the CLI owns (:func:`console`): the mode is read when a program is
    traced, and a program traced under it and kept in memory would not raise for a
    library caller later. Every command reports failures through the solvers' result
    codes, not through these checks. An ``EQX_ON_ERROR`` set by the user is kept.
    """
    if "EQX_ON_ERROR" in os.environ:
        return
    import equinox._errors as errors  # equinox reads EQX_ON_ERROR at import

    if getattr(errors, "EQX_ON_ERROR", None) == "raise":
        errors.EQX_ON_ERROR = "nan"


def console() -> int:
    """The ``frg`` console script and ``python -m frg.cli``: :func:`main` in a process of
    its own (equinox's checks without host callbacks, so every solve is cacheable)."""
    _error_checks_without_callbacks()
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
