"""Shared timing helpers for the benchmark scripts.

Method (every ratio in RESULTS.md): the same problem at the same accuracy on both
sides, run in the same process; both sides warmed up (the first call compiles: its
time minus the median warm time is reported as compile time); the same number of
timed repeats on both sides, each ended by ``block_until_ready``; the median AND the
best reported, and failures counted separately (a failed solve is not a timing).
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
import numpy as np


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
        "device_kind": jax.devices()[0].device_kind,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def block(x):
    """``block_until_ready`` on every array leaf of ``x``."""
    return jax.tree_util.tree_map(
        lambda a: a.block_until_ready() if hasattr(a, "block_until_ready") else a, x
    )


def timeit(fn: Callable, *args, repeats: int = 5, warmup: int = 1) -> dict:
    """Time ``fn(*args)`` the way every ratio in RESULTS.md is timed.

    ``warmup`` untimed calls first (the first one compiles: its time minus the median
    warm time is reported as ``compile_s``), then ``repeats`` timed calls, each ended
    by ``block_until_ready`` (a no-op for NumPy/SciPy results). Use the SAME ``repeats``
    for frg and its baseline, and compare with :func:`ratio`.

    Returns:
        ``{"compile_s", "median_s", "best_s", "repeats", "result"}`` (result: last output).
    """
    t0 = time.perf_counter()
    out = block(fn(*args)) if warmup else None
    first = time.perf_counter() - t0
    for _ in range(max(warmup - 1, 0)):
        out = block(fn(*args))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = block(fn(*args))
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    return {
        "compile_s": max(first - med, 0.0) if warmup else None,
        "median_s": med,
        "best_s": float(np.min(times)),
        "repeats": repeats,
        "result": out,
    }


def ratio(baseline: dict, ours: dict) -> dict:
    """Speed-up of ``ours`` over ``baseline`` (two :func:`timeit` dicts with the same
    number of repeats): ``{"median": ..., "best": ...}`` (baseline time / ours)."""
    if baseline["repeats"] != ours["repeats"]:
        raise ValueError("compare timings with the same number of repeats")
    return {
        "median": baseline["median_s"] / ours["median_s"],
        "best": baseline["best_s"] / ours["best_s"],
    }


def stats(fn: Callable, repeats: int) -> tuple[float, float, float, object]:
    """:func:`timeit` of ``fn()`` as ``(first-call seconds, median, best, result)``."""
    t = timeit(fn, repeats=repeats)
    return t["compile_s"] + t["median_s"], t["median_s"], t["best_s"], t["result"]


def timing_row(t: dict) -> dict:
    """The JSON-able part of a :func:`timeit` dict (no result)."""
    return {k: v for k, v in t.items() if k != "result"}


def time_jax(fn: Callable, *args, repeats: int = 5) -> tuple[float, float, object]:
    """(compile_seconds, best warm seconds, result); prefer :func:`timeit` (median too)."""
    t = timeit(fn, *args, repeats=repeats)
    return t["compile_s"], t["best_s"], t["result"]


def time_py(fn: Callable, *args, repeats: int = 5) -> tuple[float, object]:
    """(best warm seconds, result) after one warm-up call; prefer :func:`timeit`."""
    t = timeit(fn, *args, repeats=repeats)
    return t["best_s"], t["result"]


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
