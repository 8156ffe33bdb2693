"""Where a vmapped batch of B1 flows spends its time on an accelerator (diagnostic).

Times, at batch size ``--batch``: the mixed κ ∈ [0.01, 0.08] batch in one vmap; the
same batch with every κ = 0.05 (no lockstep spread); the mixed batch as κ-sorted
chunks; and the pieces of one implicit stage (right-hand side, one Newton iteration,
the tridiagonal solve). Optionally writes a Perfetto trace of a small batch.

    python benchmarks/probe_gpu_sweep.py [--batch 10000] [--trace DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import frg  # noqa: E402
from frg._flow import _grid  # noqa: E402
from frg._flow.solvers import TridiagonalNewton  # noqa: E402
from frg._flow.threshold import threshold_rule  # noqa: E402


def timed(f, *a, rep=3):
    t0 = time.perf_counter()
    out = jax.block_until_ready(f(*a))
    first = time.perf_counter() - t0
    best = float("inf")
    for _ in range(rep):
        t0 = time.perf_counter()
        out = jax.block_until_ready(f(*a))
        best = min(best, time.perf_counter() - t0)
    return best, first - best, out


def one(k, stepper="kvaerno5"):
    pot = frg.RhoPotential(lam=1.0, kappa=k)
    s = frg.solve_flow(pot, frg.Litim(), grid=128, solver=frg.make_solver(stepper))
    return s.rho0[-1], s.num_steps, s.num_rejected, s.status


def thomas(dl, dd, du, b, unroll=1):
    """Batched Thomas algorithm (last axis = system), a lax.scan over rows."""
    T = lambda x: jnp.moveaxis(x, -1, 0)

    def fwd(carry, row):
        cp, dp = carry
        a, bb, c, r = row
        m = bb - a * cp
        cn, dn = c / m, (r - a * dp) / m
        return (cn, dn), (cn, dn)

    z = jnp.zeros(dd.shape[:-1], dd.dtype)
    _, (cp, dp) = jax.lax.scan(fwd, (z, z), (T(dl), T(dd), T(du), T(b)), unroll=unroll)

    def bwd(x, row):
        c, r = row
        xn = r - c * x
        return xn, xn

    _, x = jax.lax.scan(bwd, z, (cp, dp), reverse=True, unroll=unroll)
    return jnp.moveaxis(x, 0, -1)


def pcr(dl, dd, du, b):
    """Parallel cyclic reduction: log2(n) elementwise levels with shifts (last axis)."""
    n = dd.shape[-1]
    a, bb, c, r = dl, dd, du, b
    s = 1
    while s < n:

        def up(x, fill, s=s):  # x[i - s]
            return jnp.concatenate([jnp.full(x.shape[:-1] + (s,), fill, x.dtype), x[..., :-s]], -1)

        def dn(x, fill, s=s):  # x[i + s]
            return jnp.concatenate([x[..., s:], jnp.full(x.shape[:-1] + (s,), fill, x.dtype)], -1)

        k1 = a / up(bb, 1.0)
        k2 = c / dn(bb, 1.0)
        a, bb, c, r = (
            -up(a, 0.0) * k1,
            bb - up(c, 0.0) * k1 - dn(a, 0.0) * k2,
            -dn(c, 0.0) * k2,
            r - up(r, 0.0) * k1 - dn(r, 0.0) * k2,
        )
        s *= 2
    return r / bb


def _batch(run, kappas):
    """Warm/compile time, flows/s and step statistics of one vmapped batch."""
    w, c, (_, st, rej, status) = timed(run, kappas)
    return dict(
        warm_s=w,
        compile_s=c,
        flows_per_s=len(kappas) / w,
        max_steps=int(st.max()),
        mean_steps=float(st.mean()),
        max_rej=int(rej.max()),
        mean_rej=float(rej.mean()),
        failed=int((status != 0).sum()),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--trace", default=None)
    ap.add_argument("--trace-batch", type=int, default=2048)
    ap.add_argument("--only-mixed", action="store_true")
    ap.add_argument("--only-trace", action="store_true")
    ap.add_argument("--only-pieces", action="store_true")
    ap.add_argument("--stepper", default="rodas4")
    a = ap.parse_args()
    B = a.batch
    out = {"backend": jax.default_backend(), "batch": B, "stepper": a.stepper}
    mixed = jnp.linspace(0.01, 0.08, B)
    run = jax.jit(jax.vmap(lambda k: one(k, a.stepper)))
    if a.only_trace:
        return _trace(run, a)
    if a.only_pieces:
        return _pieces(out, B, a)
    out["mixed"] = _batch(run, mixed)
    print(json.dumps(out), file=sys.stderr, flush=True)
    if a.only_mixed:
        print(json.dumps(out))
        return
    out["all_kappa_0.05"] = _batch(run, jnp.full(B, 0.05))
    out["all_kappa_0.01"] = _batch(run, jnp.full(B, 0.01))
    other = "kvaerno5" if a.stepper != "kvaerno5" else "rodas4"
    out[f"mixed_{other}"] = _batch(jax.jit(jax.vmap(lambda k: one(k, other))), mixed)
    chunks = jnp.split(mixed, 4)
    jax.block_until_ready(run(chunks[0]))
    t0 = time.perf_counter()
    jax.block_until_ready([run(ch) for ch in chunks])
    w = time.perf_counter() - t0
    out["mixed_4_sorted_chunks"] = dict(warm_s=w, flows_per_s=B / w)
    print(json.dumps(out), file=sys.stderr, flush=True)
    _pieces(out, B, a, run)


def _pieces(out, B, a, run=None):
    """Pieces of one implicit stage at batch B (+ the trace)."""
    n, h, d, N = 128, np.sqrt(0.2) / 128, 3.0, 1.0
    rule = threshold_rule(frg.Litim(), d)
    sig = (np.arange(n) + 0.5) * h
    y0 = jnp.asarray(np.concatenate([[0.0125], sig * (0.5 * sig**2 - 0.05)]))
    ys = jnp.tile(y0, (B, 1)) * (1 + 1e-3 * jnp.linspace(0, 1, B))[:, None]

    def vf(y, k=0.3):
        F = _grid.field_flux(y[1:], h, rule, N, 1.0 / (k * k))
        F_prev = jnp.pad(F[:-1], (1, 0))
        return -(k**d) * jnp.where(jnp.arange(n + 1) == 0, F, (F - F_prev) / h)

    newton = TridiagonalNewton(rtol=1e-6, atol=1e-9)

    def newton_it(y):
        fn = lambda z, args: (z - 0.01 * vf(z) - y, None)
        state = newton.init(fn, y, None, None, None, None, frozenset())
        return newton.step(fn, y, None, None, state, frozenset())[0]

    dl = jnp.full((B, n), -1.0).at[:, 0].set(0.0)
    du = jnp.full((B, n), -1.0).at[:, -1].set(0.0)
    dd = jnp.full((B, n), 4.0)
    rhs = jnp.ones((B, n, 1))
    pieces = {
        "rhs": (jax.jit(jax.vmap(vf)), ys),
        "newton_iteration": (jax.jit(jax.vmap(newton_it)), ys),
        "tridiagonal_solve": (jax.jit(jax.lax.linalg.tridiagonal_solve), dl, dd, du, rhs),
        "thomas_scan": (jax.jit(thomas), dl, dd, du, rhs[..., 0]),
        "thomas_scan_unroll16": (jax.jit(lambda *x: thomas(*x, 16)), dl, dd, du, rhs[..., 0]),
        "pcr": (jax.jit(pcr), dl, dd, du, rhs[..., 0]),
    }
    ref = jax.lax.linalg.tridiagonal_solve(dl, dd, du, rhs)[..., 0]
    for name, f in (("thomas", thomas), ("pcr", pcr)):
        out[name + "_err"] = float(jnp.max(jnp.abs(f(dl, dd, du, rhs[..., 0]) - ref)))
    for name, (f, *args) in pieces.items():
        w, c, _ = timed(f, *args, rep=20)
        out[name + "_ms"] = 1e3 * w
    print(json.dumps(out), file=sys.stderr, flush=True)
    if a.trace:
        _trace(run or jax.jit(jax.vmap(one)), a)
    print(json.dumps(out))


def _trace(run, a):
    small = jnp.linspace(0.01, 0.035, a.trace_batch)  # symmetric phase: few steps
    jax.block_until_ready(run(small))
    with jax.profiler.trace(a.trace, create_perfetto_trace=True):
        jax.block_until_ready(run(small))


if __name__ == "__main__":
    main()
