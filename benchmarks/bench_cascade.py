"""Benchmark of the cascade comparison: 2D 64² lattice, L = 1, 2, 4, ..., 1024.

Times (warm; compilation reported separately, ``block_until_ready``):
  1. the whole comparison ``frg.compare_cascade`` (lattice LPA reference + 11 CDBNs),
     for both layer types;
  2. one contrastive-divergence (CD-1) training epoch of a layer on a 32² lattice;
and the same computations in NumPy/SciPy in this process (explicit and
self-consistent stacks with ``scipy.linalg.solve_banded`` Newton; a NumPy CD epoch),
printing the ratio NumPy / JAX. Usage: ``python benchmarks/bench_cascade.py [--quick]``.
"""

from __future__ import annotations

import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _harness import run_cli  # noqa: E402
from scipy.linalg import solve_banded  # noqa: E402

import frg  # noqa: E402

QUICK = "--quick" in sys.argv
D, SIZE, LAM, KIR = 2, (32 if QUICK else 64), 3.0, 3e-3
LAYERS = [2**i for i in range(8 if QUICK else 11)]
V = lambda x: 0.25 * x**2 + x**4 / 8


def timed(fn):
    t = time.perf_counter()
    out = fn()
    jax.block_until_ready(jax.tree_util.tree_leaves(out))
    return out, time.perf_counter() - t


# ------------------------------------------------------------------ NumPy baseline
def numpy_stack(phi, slopes, q, w, ks, explicit):
    h = phi[1] - phi[0]
    U = V(phi)

    def curv(U):
        c = np.empty_like(U)
        c[1:-1] = (U[:-2] - 2 * U[1:-1] + U[2:]) / h**2
        c[0] = 2 * (U[1] - U[0] - h * slopes[0]) / h**2
        c[-1] = 2 * (U[-2] - U[-1] + h * slopes[1]) / h**2
        return c

    n = phi.size
    for k, kp in zip(ks[:-1], ks[1:], strict=True):
        Rk = np.maximum(k**2 - q, 0.0)
        Rkp = np.maximum(kp**2 - q, 0.0)
        a, sh = q + Rk, Rkp - Rk

        def dU(c, a=a, sh=sh):
            den = a[None, :] + c[:, None]
            return 0.5 * (w * np.log1p(sh / den)).sum(1), 0.5 * (
                w * (1 / (den + sh) - 1 / den)
            ).sum(1)

        if explicit:
            U = U + dU(curv(U))[0]
            continue
        Ul, Un = U, U.copy()
        for _ in range(30):
            du, Dc = dU(curv(Un))
            F = Un - Ul - du
            ab = np.zeros((3, n))
            ab[1] = 1 + 2 * Dc / h**2
            ab[0, 1:] = -Dc[:-1] / h**2
            ab[0, 1] = -2 * Dc[0] / h**2
            ab[2, :-1] = -Dc[1:] / h**2
            ab[2, -2] = -2 * Dc[-1] / h**2
            step = solve_banded((1, 1), ab, F)
            Un = Un - step
            if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(Un))):
                break
        U = Un
    return U


def numpy_cd_epoch(data, A, w0, batch, lr, rng):
    N = A.size
    w = w0.copy()
    m, v2 = np.zeros_like(w), np.zeros_like(w)
    t = 0
    for b in range(data.shape[0] // batch):
        vd = data[b * batch : (b + 1) * batch]
        what = np.fft.fft2(w)
        # CD-1 negative sample
        hh = np.real(np.fft.ifft2(what * np.fft.fft2(vd))) + rng.standard_normal(vd.shape)
        mean = np.real(np.fft.ifft2(np.conj(what) / A * np.fft.fft2(hh)))
        noise = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal(vd.shape)) / np.sqrt(A)))
        vm = mean + noise

        def gF(v, what=what):  # d/dw of mean_batch F(v)/N, F = ½vAv − ½|w⋆v|²
            vh = np.fft.fft2(v)
            return -np.real(np.fft.ifft2(np.mean(np.abs(vh) ** 2, 0) * what)) / N

        g = gF(vd) - gF(vm)
        t += 1
        m = 0.9 * m + 0.1 * g
        v2 = 0.999 * v2 + 0.001 * g * g
        w = w - lr * (m / (1 - 0.9**t)) / (np.sqrt(v2 / (1 - 0.999**t)) + 1e-8)
    return w


def main(argv=None):
    print(f"jax {jax.__version__}, devices {jax.devices()}, lattice {SIZE}², layers {LAYERS}")
    reg = frg.Litim()
    rows = []
    for lt in frg.LAYER_TYPES:
        run = lambda lt=lt: (
            frg.compare_cascade(
                V, reg, D, SIZE, LAYERS, Lambda=LAM, k_ir=KIR, layer_type=lt
            ).sup_error
        )
        _, cold = timed(run)
        _, warm = timed(run)
        cmp = frg.compare_cascade(V, reg, D, SIZE, LAYERS, Lambda=LAM, k_ir=KIR, layer_type=lt)
        ref, t_ref = timed(
            lambda: (
                frg.lattice_lpa(V, reg, D, SIZE, LAM, KIR, momenta=frg.lattice_momenta(D, SIZE)).U
            )
        )
        g = frg.background_grid(V)
        m = frg.lattice_momenta(D, SIZE)
        phi, sl, q, w = (np.asarray(x) for x in (g.phi, g.slopes, m.q, m.w))
        t = time.perf_counter()
        Unp = [
            numpy_stack(phi, sl, q, w, frg.scale_schedule(LAM, KIR, L), lt == "explicit")
            for L in LAYERS
        ]
        t_np = time.perf_counter() - t
        agree = max(
            float(np.max(np.abs(u - np.asarray(r.U))))
            for u, r in zip(Unp, cmp.results, strict=True)
        )
        d = cmp.to_dict()
        rows.append(
            {
                "task": f"whole comparison, {lt} layers",
                "compile_s": cold - warm,
                "warm_s": warm,
                "lpa_reference_s": t_ref,
                "numpy_stacks_s": t_np,
                "ratio_numpy_over_jax_stacks": t_np / max(warm - t_ref, 1e-9),
                "max_dU_vs_numpy": agree,
                "slope": d["slope"],
                "sup_error_first_last": [d["sup_error"][0], d["sup_error"][-1]],
            }
        )
        print(
            f"{lt:16s} compile ~{cold - warm:6.2f} s  warm {warm:6.2f} s  "
            f"(LPA ref {t_ref:.2f} s)  "
            f"NumPy stacks {t_np:6.2f} s  "
            f"ratio NumPy/JAX(stacks) {t_np / max(warm - t_ref, 1e-9):5.2f}  "
            f"max|ΔU| vs NumPy {agree:.1e}  slope {d['slope']:.3f}"
        )
        print("   sup_error:", " ".join(f"{e:.3e}" for e in d["sup_error"]))
    # ------------------------------------------------------------ CD epoch
    shape = (32, 32)
    model, st = frg.rbm_stack(shape, [1.0, 0.5], reg, 0.3)
    data = frg.ancestral_sample(model, st, jax.random.key(0), 1024)
    p2 = frg.lattice_p2(len(shape), shape[0])
    A = p2 + np.asarray(reg(jnp.asarray(p2), 1.0)) + 0.3
    ep = lambda: frg.train_layer(data, A, jax.random.key(1), method="cd", steps=1, batch_size=64)[0]
    _, cd_cold = timed(ep)
    _, cd_warm = timed(ep)
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    numpy_cd_epoch(np.asarray(data), A, 1e-2 * rng.standard_normal(shape), 64, 2e-3, rng)
    cd_np = time.perf_counter() - t
    print(
        f"CD-1 epoch (32², 1024 samples, batch 64): compile ~{cd_cold - cd_warm:.2f} s, "
        f"warm {cd_warm:.3f} s, NumPy {cd_np:.3f} s, ratio NumPy/JAX {cd_np / cd_warm:.2f}"
    )
    rows.append(
        {
            "task": "CD-1 epoch, 32², 1024 samples, batch 64",
            "compile_s": cd_cold - cd_warm,
            "warm_s": cd_warm,
            "numpy_s": cd_np,
            "ratio_numpy_over_jax": cd_np / cd_warm,
        }
    )
    return rows


if __name__ == "__main__":
    run_cli(main)
