"""Shared plumbing of the CLI: the ``--json`` contract, ``--out``, progress, errors, tables.

Every command is added with :func:`add_command`, which gives it ``--json`` (exactly one
JSON object on stdout), ``--progress`` (progress bars on stderr even under ``--json``)
and, with ``out=True``, ``--out DIR`` (a results folder, :func:`frg.save_results`).
:func:`run_command` checks the output paths (``--out``, ``--plot``) before the command
computes anything, turns bad input into one line on stderr with exit status 2 (and
``{"status": "error", "error": ...}`` under ``--json``), and prints the result as JSON or
as aligned tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import frg


def add_command(
    subparsers,
    name: str,
    run: Callable[[argparse.Namespace], dict],
    help: str,
    *,
    out: bool = False,
) -> argparse.ArgumentParser:
    """Add sub-command ``name``; ``run(args)`` returns the result dict.

    Every command gets ``--json`` and ``--progress``; ``out=True`` adds ``--out DIR``
    (the command then calls :func:`save` with its arrays before it plots).
    """
    p = subparsers.add_parser(name, help=help, description=help)
    p.add_argument(
        "--json",
        action="store_true",
        help="print exactly one JSON object on stdout (progress and logs go to stderr)",
    )
    p.add_argument(
        "--progress",
        action="store_true",
        help="show progress bars on stderr also under --json",
    )
    if out:
        p.add_argument(
            "--out",
            metavar="DIR",
            default=None,
            help="write results (summary.json + arrays.npz) to DIR; read back: frg.load(DIR)",
        )
    p.set_defaults(_run=run)
    return p


to_jsonable = frg.jsonable


def progress(msg: str) -> None:
    """A progress/log line on stderr (never stdout, which ``--json`` reserves)."""
    print(f"[frg {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def show_progress(args: argparse.Namespace) -> bool:
    """Whether progress bars are shown: always without ``--json``, with it only if asked."""
    return not getattr(args, "json", False) or getattr(args, "progress", False)


def progress_bar(
    args: argparse.Namespace,
    iterable: Iterable | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
):
    """A ``tqdm`` progress bar with ETA on stderr (silent under ``--json`` unless
    ``--progress``). Use as an iterator wrapper or with ``.update(n)``."""
    from tqdm.auto import tqdm

    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not show_progress(args),
        dynamic_ncols=True,
        leave=False,
    )


def save(args: argparse.Namespace, kind: str, result: dict, arrays: dict | None = None) -> None:
    """Write ``result`` and ``arrays`` to ``args.out`` if given (records ``result["out"]``).

    Call it as soon as the results exist, before plotting: a failing plot loses nothing.
    """
    directory = getattr(args, "out", None)
    if directory is None:
        return
    result["out"] = str(frg.save_results(directory, kind, result, arrays))
    progress(f"results written to {result['out']} (read back with frg.load)")


def write_figure(result: dict, path: str | None, draw: Callable[[str], Any]) -> None:
    """Call ``draw(path)`` if a path was given; records ``result["plot"]``, or on failure
    ``result["plot_error"]`` (the computed results are kept and printed either way)."""
    if not path:
        return
    try:
        draw(path)
    except Exception as exc:  # a figure must never cost the user their results
        result["plot_error"] = f"{type(exc).__name__}: {exc}"
        print(f"frg: warning: figure not written: {result['plot_error']}", file=sys.stderr)
        return
    result["plot"] = str(path)
    progress(f"figure written to {path}")


# ----------------------------------------------------------------------------- output
def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, dict) and set(value) == {"re", "im"}:
        return f"{value['re']:.10g}{value['im']:+.10g}j"
    return str(value)


def _is_table(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(v, dict) for v in value)
        and all(not isinstance(x, (dict, list)) for v in value for x in v.values())
    )


def _table(rows: list[dict], indent: str) -> list[str]:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda vals: indent + "  ".join(v.rjust(w) for v, w in zip(vals, widths, strict=True))
    return [line(cols), line(["-" * w for w in widths]), *(line(row) for row in cells)]


def _list_lines(values: list, indent: str, width: int = 88) -> list[str]:
    items = [_fmt(v) for v in values]
    lines, cur = [], ""
    for it in items:
        nxt = f"{cur}, {it}" if cur else it
        if len(indent) + len(nxt) > width and cur:
            lines.append(cur + ",")
            cur = it
        else:
            cur = nxt
    lines.append(cur)
    return [indent + ln for ln in lines]


def format_human(result: dict, indent: str = "") -> str:
    """``result`` as aligned ``key  value`` rows; nested dicts as indented blocks, lists
    of flat dicts as tables, long lists in full (wrapped)."""
    result = frg.jsonable(result)
    scalars = {k: v for k, v in result.items() if not isinstance(v, (dict, list))}
    width = max((len(k) for k in result), default=0)
    lines = []
    for key, value in result.items():
        if key in scalars:
            lines.append(f"{indent}{key.ljust(width)}  {_fmt(value)}")
        elif isinstance(value, dict) and not set(value) == {"re", "im"}:
            lines.append(f"{indent}{key}:")
            lines.append(format_human(value, indent + "  "))
        elif _is_table(value):
            lines.append(f"{indent}{key}:")
            lines.extend(_table(value, indent + "  "))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{indent}{key}:")
            for i, item in enumerate(value):
                lines.append(f"{indent}  [{i}]")
                lines.append(format_human(item, indent + "    "))
        elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
            wrapped = _list_lines(value, " " * (len(indent) + width + 2))
            first = wrapped[0].lstrip()
            lines.append(f"{indent}{key.ljust(width)}  {first}")
            lines.extend(wrapped[1:])
        else:
            lines.append(f"{indent}{key.ljust(width)}  {json.dumps(value)}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- running
def _check_outputs(args: argparse.Namespace) -> None:
    """Validate ``--out`` and ``--plot`` before anything is computed."""
    if getattr(args, "out", None) is not None:
        frg.check_output_dir(args.out, "--out")
    if getattr(args, "plot", None):
        frg.check_output_file(args.plot, "--plot")


def _error(args: argparse.Namespace, message: str) -> int:
    message = " ".join(str(message).split())  # one line
    if getattr(args, "json", False):
        print(json.dumps({"status": "error", "error": message}))
    print(f"frg {args.command}: error: {message}", file=sys.stderr)
    return 2


def run_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the chosen command.

    Returns the exit status: 0 success, 1 the computation ran but did not succeed
    (its ``status``), 2 bad input or an unusable output path (one line on stderr).
    """
    try:
        _check_outputs(args)
        result = args._run(args)
    except ValueError as exc:
        return _error(args, str(exc))
    except OSError as exc:  # e.g. a path that became unwritable while computing
        return _error(args, f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except MemoryError:
        return _error(args, "out of memory (reduce the problem size)")
    if getattr(args, "json", False):
        print(json.dumps(frg.jsonable(result), allow_nan=False))
    else:
        print(format_human(result))
    status = result.get("status", "success") if isinstance(result, dict) else "success"
    return 0 if status in ("success", "ok") else 1


def finite_or_none(x) -> float | None:
    """A float, or ``None`` if not finite (JSON has no NaN)."""
    x = float(np.asarray(x))
    return x if np.isfinite(x) else None
