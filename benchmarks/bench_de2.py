"""Benchmark: warm time per O(∂²) and O(∂⁴) point (``frg.DE2``, ``frg.DE4``) beside the
LPA point, d = 3.

Each timed call is the public ``frg.critical_exponents`` (search from built-in guesses,
continuation, stability matrix, ``eig``) with ``frg.Exponential(a=1)``: LPA (default
grid), DE2 N = 1 and DE2 N = 2 (default grid, ν and η converged to 1e-7), DE4 N = 1
(``--de4-grid``, default 12: ν to 1e-8 against grid 20, docs/de4.md). One untimed
call first (compile time = its time minus the warm median), then the same number of
warm repeats for every row, reported as median and best. The rows are different
problems: no ratio between them is printed.

Run: ``python benchmarks/bench_de2.py [--repeat 5] [--grid 32] [--de4-grid 12] [--quick]``
(``--de4-grid 0`` leaves O(∂⁴) out; it compiles for minutes).
"""

from __future__ import annotations

import argparse

import jax
from _harness import run_cli, stats

import frg


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=None, help="DE2 grid (default: frg.DE2's)")
    ap.add_argument("--de4-grid", type=int, default=12, help="DE4 grid (0: no DE4 row)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="grid 16, no DE4, 1 repeat")
    args = ap.parse_args(argv)
    rep = 1 if args.quick else args.repeat
    grid = 16 if args.quick and args.grid is None else args.grid
    de2 = frg.DE2() if grid is None else frg.DE2(grid=grid)
    reg = frg.Exponential(a=1.0)
    print(f"jax {jax.__version__}, {jax.devices()[0]}; DE2 grid {de2.grid}; {rep} repeats")
    rows = []
    cases = [
        ("LPA N=1", 1.0, None),
        ("DE2 N=1", 1.0, de2),
        ("DE2 N=2", 2.0, de2),
    ]
    if args.de4_grid and not args.quick:
        cases.append(("DE4 N=1", 1.0, frg.DE4(grid=args.de4_grid)))
    for name, N, tr in cases:
        f, med, best, ex = stats(
            lambda N=N, tr=tr: frg.critical_exponents(reg, N=N, d=3.0, truncation=tr), rep
        )
        ok = bool(ex.result == frg.RESULTS.successful)
        print(
            f"{name}: compile ~ {max(f - med, 0):.1f} s, warm {med * 1e3:.1f} / {best * 1e3:.1f}"
            f" ms (median / best), nu = {float(ex.nu):.10f}, eta = {float(ex.eta):.10f},"
            f" omega = {float(ex.omega):.8f}, ok = {ok}"
        )
        rows.append(
            {
                "task": f"{name} exponential a=1, d=3",
                "compile_s": max(f - med, 0.0),
                "median_ms": med * 1e3,
                "best_ms": best * 1e3,
                "nu": float(ex.nu),
                "eta": float(ex.eta),
                "omega": float(ex.omega),
                "successful": ok,
            }
        )
    return rows


if __name__ == "__main__":
    with jax.enable_x64(True):
        run_cli(main)
