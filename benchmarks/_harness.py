"""Shared timing helpers for the benchmark scripts.

Every benchmark warms up (the first call compiles; its time minus the warm time is
reported as compile time), times warm calls with ``block_until_ready``, and prints
a ratio against a baseline run in the same process.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable

import jax


def machine() -> dict:
    """A stamp of the machine and software the figures were measured on."""
    try:
        cpu = subprocess.run(
            ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        cpu = platform.processor()
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def block(x):
    """``block_until_ready`` on every array leaf of ``x``."""
    return jax.tree_util.tree_map(
        lambda a: a.block_until_ready() if hasattr(a, "block_until_ready") else a, x
    )


def time_jax(fn: Callable, *args, repeats: int = 5) -> tuple[float, float, object]:
    """(compile_seconds, warm_seconds (best of ``repeats``), result) of ``fn(*args)``."""
    t0 = time.perf_counter()
    out = block(fn(*args))
    first = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = block(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return max(first - best, 0.0), best, out


def time_py(fn: Callable, *args, repeats: int = 1) -> tuple[float, object]:
    """(best seconds, result) of a plain Python/NumPy baseline."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def emit(rows: list[dict], as_json: bool) -> None:
    """Print rows as one JSON object (``--json``) or as a markdown table."""
    if as_json:
        from frg.cli._common import to_jsonable  # strict JSON: NaN/inf → null, as the CLI

        print(json.dumps(to_jsonable({"machine": machine(), "rows": rows}), allow_nan=False))
        return
    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        cells = [_fmt(r.get(k, "")) for k in keys]
        print("| " + " | ".join(cells) + " |")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def run_cli(main: Callable[[list[str]], list[dict]], argv: list[str] | None = None) -> None:
    """Run a benchmark's ``main(argv) -> rows``; ``--json``: text to stderr, one object out.

    Without ``--json`` the script prints its human-readable report on stdout; with it
    that report goes to stderr and stdout gets exactly one JSON object
    ``{"machine": ..., "rows": [...]}`` (what ``run_all.py`` reads).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    rest = [a for a in argv if a != "--json"]
    if not as_json:
        main(rest)
        return
    with contextlib.redirect_stdout(sys.stderr):
        rows = main(rest)
    emit(rows, True)
