"""Benchmark of the cascade comparison: 2D 64² lattice, L = 1, 2, 4, ..., 1024.

Every timing goes through ``_harness.timeit`` (warm-up call, compile time reported
separately, ``block_until_ready``, the same repeats on both sides, median and best):
  1. the whole comparison ``frg.compare_cascade`` (lattice LPA reference + 11 CDBNs),
     for both layer types (no baseline: reported as is);
  2. the same problem on both sides: the L-layer stacks for every L on the same grid and
     momenta, each Newton solve to 1e-13 (frg ``cdbn_potential`` vs NumPy/SciPy with
     ``scipy.linalg.solve_banded``; their agreement max|ΔU| is printed), ratio NumPy/frg;
  3. one contrastive-divergence (CD-1) epoch of a layer on 32², frg vs NumPy (same data,
     initial kernel and batches).
Usage: ``python benchmarks/bench_cascade.py [--quick]``.
"""

from __future__ import annotations

import sys

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _harness import ratio, run_cli, timeit, timing_row  # noqa: E402
from scipy.linalg import solve_banded  # noqa: E402

import frg  # noqa: E402

QUICK = "--quick" in sys.argv
D, SIZE, LAM, KIR = 2, (32 if QUICK else 64), 3.0, 3e-3
LAYERS = [2**i for i in range(8 if QUICK else 11)]
V = lambda x: 0.25 * x**2 + x**4 / 8


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
    R = 3 if QUICK else 5  # the same repeats for frg and the baseline
    g = frg.background_grid(V)
    m = frg.lattice_momenta(D, SIZE)
    phi, sl, q, w = (np.asarray(x) for x in (g.phi, g.slopes, m.q, m.w))
    schedules = [frg.scale_schedule(LAM, KIR, L) for L in LAYERS]
    cap = max(LAYERS)
    for lt in frg.LAYER_TYPES:
        # 1. the whole comparison (LPA reference + every L), as `frg cascade` runs it
        full = timeit(
            lambda lt=lt: (
                frg.compare_cascade(
                    V, reg, D, SIZE, LAYERS, Lambda=LAM, k_ir=KIR, layer_type=lt
                ).sup_error
            ),
            repeats=R,
        )

        # 2. the same problem on both sides: the L-layer stacks for every L, on the
        # same grid and momenta, each layer's Newton solve to 1e-13 (frg: one compiled
        # scan shared by all L; NumPy/SciPy: solve_banded Newton)
        def ours(lt=lt):
            return [
                frg.cdbn_potential(
                    V, reg, D, SIZE, ks, layer_type=lt, grid=g, momenta=m, capacity=cap,
                    throw=False,
                ).U
                for ks in schedules
            ]  # fmt: skip

        def base(lt=lt):
            return [numpy_stack(phi, sl, q, w, ks, lt == "explicit") for ks in schedules]

        t_ours = timeit(ours, repeats=R)
        t_base = timeit(base, repeats=R)
        agree = max(
            float(np.max(np.abs(u - np.asarray(r))))
            for u, r in zip(t_base["result"], t_ours["result"], strict=True)
        )
        r = ratio(t_base, t_ours)
        d = frg.compare_cascade(
            V, reg, D, SIZE, LAYERS, Lambda=LAM, k_ir=KIR, layer_type=lt
        ).to_dict()
        rows.append(
            {
                "task": f"{lt} stacks, L = {LAYERS[0]}..{LAYERS[-1]}",
                "comparison": timing_row(full),
                "frg_stacks": timing_row(t_ours),
                "numpy_stacks": timing_row(t_base),
                "ratio_numpy_over_frg": r,
                "max_dU_vs_numpy": agree,
                "slope": d["slope"],
                "sup_error_first_last": [d["sup_error"][0], d["sup_error"][-1]],
            }
        )
        print(
            f"{lt:16s} comparison: compile {full['compile_s']:.2f} s, median "
            f"{full['median_s']:.2f} s | stacks frg median {t_ours['median_s']:.3f} s "
            f"(best {t_ours['best_s']:.3f}), NumPy median {t_base['median_s']:.3f} s "
            f"(best {t_base['best_s']:.3f}), ratio median {r['median']:.2f} best "
            f"{r['best']:.2f}, max|ΔU| {agree:.1e}, slope {d['slope']:.3f}"
        )
    # ------------------------------------------------------------ CD epoch
    shape = (32, 32)
    model, st = frg.rbm_stack(shape, [1.0, 0.5], reg, 0.3)
    data = frg.ancestral_sample(model, st, jax.random.key(0), 1024)
    p2 = frg.lattice_p2(len(shape), shape[0])
    A = p2 + np.asarray(reg(jnp.asarray(p2), 1.0)) + 0.3
    w0 = 1e-2 * np.random.default_rng(0).standard_normal(shape)
    ep = lambda: frg.train_layer(data, A, jax.random.key(1), method="cd", steps=1, batch_size=64)[0]
    data_np = np.asarray(data)
    ep_np = lambda: numpy_cd_epoch(data_np, A, w0, 64, 2e-3, np.random.default_rng(1))
    t_ours = timeit(ep, repeats=R)
    t_base = timeit(ep_np, repeats=R)
    r = ratio(t_base, t_ours)
    print(
        f"CD-1 epoch (32², 1024 samples, batch 64): compile {t_ours['compile_s']:.2f} s, "
        f"frg median {t_ours['median_s']:.4f} s, NumPy median {t_base['median_s']:.4f} s, "
        f"ratio median {r['median']:.2f} best {r['best']:.2f}"
    )
    rows.append(
        {
            "task": "CD-1 epoch, 32², 1024 samples, batch 64",
            "frg": timing_row(t_ours),
            "numpy": timing_row(t_base),
            "ratio_numpy_over_frg": r,
        }
    )
    return rows


if __name__ == "__main__":
    run_cli(main)
