"""Shared plumbing of the CLI: the ``--json`` contract, progress, errors."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def add_command(
    subparsers, name: str, run: Callable[[argparse.Namespace], dict], help: str
) -> argparse.ArgumentParser:
    """Add sub-command ``name`` with the shared ``--json`` flag; ``run(args)`` returns a dict."""
    p = subparsers.add_parser(name, help=help, description=help)
    p.add_argument(
        "--json",
        action="store_true",
        help="print exactly one JSON object on stdout (progress and logs go to stderr)",
    )
    p.set_defaults(_run=run)
    return p


def to_jsonable(obj: Any) -> Any:
    """Arrays → lists, numpy scalars → Python, non-finite floats → ``None``."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return to_jsonable(arr.item())
        return [to_jsonable(v) for v in arr.tolist()]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (np.floating,)):
        return to_jsonable(float(obj))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def progress(msg: str) -> None:
    """A progress/log line on stderr (never stdout, which ``--json`` reserves)."""
    print(f"[frg {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _format_human(result: dict) -> str:
    lines = []
    for key, value in result.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {_short(v)}" for k, v in value.items())
        else:
            lines.append(f"{key}: {_short(value)}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    value = to_jsonable(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list) and len(value) > 12:
        head = ", ".join(_short(v) for v in value[:6])
        return f"[{head}, ... ({len(value)} entries)]"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def run_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the chosen command; bad input → message on stderr (and JSON error) with exit 2."""
    try:
        result = args._run(args)
    except ValueError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"status": "error", "error": str(exc)}))
        print(f"frg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(to_jsonable(result)))
    else:
        print(_format_human(result))
    status = result.get("status", "success") if isinstance(result, dict) else "success"
    return 0 if status in ("success", "ok") else 1
