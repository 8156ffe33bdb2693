"""Sweep throughput: B1-type LPA flows (κ spread over [0.01, 0.08]) in one vmapped call.

frg: ``frg.sweep`` of ``frg.solve_flow`` (N = 1, d = 3, Litim, Λ = 1, λ = 1,
k_IR = 1e-3, ρ ∈ [0, 0.1]) — warm, compile timed separately. Also measures how the
stiff broken-phase members slow a vmapped batch (adaptive steps run in lockstep:
every member advances until the slowest is done) and the remedy of grouping by
phase (κ-sorted chunks). Baseline: a Python loop over SciPy ``solve_ivp`` BDF solves
of the same discretised problem at the same tolerances (``bench_lpa.scipy_solve``),
same process, over the SAME κ values as the frg configuration it is compared with
(``frg sweep``'s CPU default, ``vmap_size="auto"`` and ``cpu_options=True``, on the
mixed batch of ``--n`` flows; one declared configuration, not the best of the table).
Every row is timed by ``_harness.timeit`` (one warm-up call, then ``--repeats`` calls:
median and best); the ratio is median/median and best/best. Failed flows are counted per side
(``failed``) and not dropped from the timed set.

Also: flows/s of the mixed batch against the batch size (``--batches``, one chunk
each), the same mixed batch with ``vmap_size=1`` (members in sequence via ``lax.map``
inside the compiled chunk: no lockstep; ``frg sweep``'s default on CPU) and a Python
loop of warm single ``frg.solve_flow`` calls (same κ values).

    python benchmarks/bench_sweep.py [--n 32] [--grid 128] [--repeats 3]
        [--batches 8 32 128 512] [--one-device] [--json]

On a CPU the script gives JAX one host device per core (``XLA_FLAGS``
``--xla_force_host_platform_device_count``), so sweeps shard over every core, and the
per-core ratio against the one-core SciPy loop divides by the cores used.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# frg.sweep shards over all devices: on a CPU, one host device per core (set before JAX
# starts; --one-device keeps JAX's single CPU device)
if "--one-device" not in sys.argv and "device_count" not in os.environ.get("XLA_FLAGS", ""):
    _flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{_flags} --xla_force_host_platform_device_count={os.cpu_count()}"

import jax  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emit, ratio, timeit  # noqa: E402
from bench_lpa import scipy_solve  # noqa: E402

import frg  # noqa: E402


def _point(grid):
    def fn(p):
        sol = frg.solve_flow(frg.RhoPotential(lam=1.0, kappa=p["kappa"]), frg.Litim(), grid=grid)
        return {"rho0": sol.rho0[-1], "m2R": sol.m2R[-1], "status": sol.result._value}

    return fn


def _row(name, fn, kappas, chunk, repeats, vmap_size=None, cpu_options=False):
    """One table row: a warm ``frg.sweep`` of ``kappas`` (compile reported separately)."""
    t = _timed_sweep(fn, kappas, chunk, repeats, vmap_size, cpu_options)
    n = len(kappas)
    row = {
        "batch": name,
        "flows": n,
        "chunks": -(-n // chunk),
        "median_s": t["median_s"],
        "best_s": t["best_s"],
        "compile_s": t["compile_s"],
        "flows_per_s": n / t["median_s"],
        "failed": int(t["result"].failed.sum()),
    }
    print(f"[bench_sweep] {row}", file=sys.stderr, flush=True)  # partial results survive a kill
    return row, t


def _timed_sweep(fn, kappas, chunk, repeats, vmap_size=None, cpu_options=False):
    params = {"kappa": np.asarray(kappas)}
    kw = dict(chunk_size=chunk, progress=False, vmap_size=vmap_size, cpu_options=cpu_options)
    return timeit(lambda: frg.sweep(fn, params, **kw), repeats=repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32, help="flows per batch")
    ap.add_argument("--grid", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per row (all rows)")
    ap.add_argument(
        "--batches",
        type=int,
        nargs="*",
        default=None,
        help="batch sizes of the mixed-batch scan (default 8 32 128 512 on CPU, "
        "32 512 2048 10000 on an accelerator: the 10^4-flow target)",
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one-device", action="store_true", help="no host device per core")
    args = ap.parse_args(argv)
    cpu = jax.default_backend() == "cpu"
    if args.batches is None:
        args.batches = [8, 32, 128, 512] if cpu else [32, 512, 2048, 10000]
    fn = _point(args.grid)
    n = args.n
    rows = []
    cases = {
        "mixed (κ ∈ [0.01, 0.08])": np.linspace(0.01, 0.08, n),
        "symmetric only (κ ∈ [0.01, 0.035])": np.linspace(0.01, 0.035, n),
        "broken only (κ ∈ [0.05, 0.08])": np.linspace(0.05, 0.08, n),
    }
    R = args.repeats
    rows += [_row(name, fn, kappas, n, R)[0] for name, kappas in cases.items()]
    # Grouping by phase: κ-sorted chunks (each chunk nearly one phase) vs shuffled chunks.
    kappas = np.linspace(0.01, 0.08, n)
    shuffled = np.random.default_rng(0).permutation(kappas)
    for name, ks in (("4 chunks, shuffled κ", shuffled), ("4 chunks, κ-sorted", kappas)):
        rows.append(_row(name, fn, ks, n // 4, R)[0])
    # Batch-size scan of the mixed batch (one chunk each).
    for b in args.batches:
        rows.append(_row(f"mixed, batch size {b}", fn, np.linspace(0.01, 0.08, b), b, R)[0])
    # On an accelerator: the largest batch in κ-ordered chunks (each chunk nearly one
    # phase, so less lockstep) against one chunk.
    if not cpu:
        big = max(args.batches, default=n)
        for c in (big // 4, big // 8):
            name = f"mixed, {big} flows in chunks of {c} (κ-ordered)"
            rows.append(_row(name, fn, np.linspace(0.01, 0.08, big), c, R)[0])
    # Members in sequence inside the chunk (vmap_size=1: lax.map, no lockstep); on an
    # accelerator only the small batch (members in sequence leave the device idle).
    for b in sorted({n, max(args.batches, default=n)} if cpu else {n}):
        name = f"mixed, batch size {b}, vmap_size=1 (lax.map)"
        rows.append(_row(name, fn, np.linspace(0.01, 0.08, b), b, R, vmap_size=1)[0])
    # The compared configuration: frg sweep's default (on CPU vmaps of 8 neighbouring
    # members dealt to the devices in turn, the chunk compiled with frg's XLA:CPU
    # options) on the mixed batch of n flows; beside it the same without the options.
    mixed = np.linspace(0.01, 0.08, n)
    vs = "auto" if cpu else None
    ndev = len(jax.devices())
    if cpu:
        name = f"mixed, {n} flows, frg sweep default without the XLA:CPU options"
        rows.append(_row(name, fn, mixed, n, R, vmap_size=vs)[0])
    name = f"compared: mixed, {n} flows, frg sweep default ({ndev} devices)"
    row, ours = _row(name, fn, mixed, n, R, vmap_size=vs, cpu_options=True)
    rows.append(row)
    # Python loop of warm single solves (compiled once; κ is traced).
    single = jax.jit(fn)
    t = timeit(lambda: [single({"kappa": k}) for k in mixed], repeats=R)
    rows.append(
        {
            "batch": "Python loop of single frg solves (same κ)",
            "flows": n,
            "chunks": "-",
            "median_s": t["median_s"],
            "best_s": t["best_s"],
            "compile_s": t["compile_s"],
            "flows_per_s": n / t["median_s"],
            "failed": int(sum(int(r["status"]) != 0 for r in t["result"])),
        }
    )
    # SciPy baseline: a Python loop of BDF solves over the same κ values.
    base = timeit(lambda: [scipy_solve(float(k), args.grid, "BDF") for k in mixed], repeats=R)
    failed = sum(not r["ok"] for r in base["result"])
    rows.append(
        {
            "batch": f"SciPy BDF loop (same {n} κ)",
            "flows": n,
            "chunks": "-",
            "median_s": base["median_s"],
            "best_s": base["best_s"],
            "compile_s": 0.0,
            "flows_per_s": n / base["median_s"],
            "failed": failed,
        }
    )
    r = ratio(base, ours)
    cores = len(jax.devices()) if cpu else 1
    rows.append(
        {
            "batch": f"ratio compared frg / SciPy loop (median, best); per core: / {cores}",
            "median": r["median"],
            "best": r["best"],
            "median_per_core": r["median"] / cores,
            "best_per_core": r["best"] / cores,
        }
    )
    emit(rows, args.json)


if __name__ == "__main__":
    main()
