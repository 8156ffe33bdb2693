"""Mehta–Schwab DBN on 2D Ising data, the block-size-vs-temperature test, and the CDBN variant.

Pipeline: Swendsen–Wang samples at T → v = (s + 1)/2 → greedy stack of binary RBMs
(CD-k/PCD + L1, :mod:`frg.rbm`) → effective receptive fields (products of weight
matrices, :mod:`frg.receptive`) → r_0.8 per hidden unit → block size per layer.

Full-size reproduction of Mehta & Schwab (arXiv:1410.3831): ``L=40``,
``hidden=(400, 100, 25)``, ``n_samples=20000``, ``J=0.408`` (T = 1/0.408 ≈ 2.451) and
T = T_c, ``epochs≈200``; the defaults here are scaled down to run in about a minute.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as V
from . import ising as I, rbm as R, receptive as RF


class DBNResult(NamedTuple):
    """Result of :func:`mehta_schwab` / :func:`cdbn_experiment`.

    block_size_per_layer: mean r_0.8 of each layer (lattice spacings), first layer first.
    block_size_active: the same over "active" units (peak |w| ≥ ¼ of the layer's largest);
    active_fraction: fraction of active units per layer; mean_abs_weight: ⟨|W|⟩ per layer.
    radii: list of per-unit r_0.8 arrays; summaries: list of dicts (quantiles);
    fields: list of receptive fields (n_units, L, L); uniform_radius: r_0.8 of a flat field;
    reconstruction_error: final per-layer reconstruction MSE; xi: measured ξ(T); T, L.
    """

    block_size_per_layer: list
    radii: list
    summaries: list
    fields: list
    uniform_radius: float
    reconstruction_error: list
    xi: float
    T: float
    L: int
    block_size_active: list
    active_fraction: list
    mean_abs_weight: list


def _active(fields, rel=0.25):
    # "active" units: peak |w| at least ``rel`` of the layer's largest peak (L1 leaves the
    # others as small noise whose r_0.8 is that of a flat field)
    peak = np.abs(fields).reshape(len(fields), -1).max(1)
    return peak >= rel * peak.max()


def _summarise(fields, frac, stack, cfg, T, L):
    radii = [RF.receptive_radius(f, frac=frac) for f in fields]
    act = [_active(f) for f in fields]
    return DBNResult(
        [float(r.mean()) for r in radii],
        radii,
        [RF.locality_summary(r) for r in radii],
        fields,
        RF.uniform_radius(L, frac),
        [float(h.reconstruction_error[-1]) for _, h in stack],
        I.correlation_length(cfg),
        T,
        L,
        [float(r[a].mean()) for r, a in zip(radii, act, strict=True)],
        [float(a.mean()) for a in act],
        [float(np.abs(np.asarray(p.W)).mean()) for p, _ in stack],
    )


def _data(L, T, n_samples, seed):
    cfg = I.sample_configs(L, T, n_samples, seed=seed)
    return cfg, (cfg.reshape(len(cfg), -1) + 1.0) / 2.0


def mehta_schwab(
    L=20,
    T=1.0 / 0.408,
    hidden=(100, 25, 6),
    *,
    n_samples=2000,
    epochs=40,
    batch_size=50,
    k=1,
    lr=1e-2,
    l1=1e-2,
    persistent=False,
    frac=0.8,
    seed=0,
    data=None,
):
    """Train a DBN on L×L Ising samples at T and measure receptive-field locality per layer.

    R_l = W_1⋯W_l, r_0.8 per unit, block size = ⟨r_0.8⟩ over the layer's units.

    Args: L: lattice side; T: temperature (Mehta–Schwab: J = 0.408 → T = 2.451, and T_c);
      hidden: layer widths; n_samples; epochs; batch_size; k: CD steps; lr; l1; persistent;
      frac: mass fraction of the radius; seed; data: optional (n, L, L) ±1 configurations.
    Returns: :class:`DBNResult`.

    Example:
        >>> r = frg.mehta_schwab(L=8, hidden=(16, 4), n_samples=128, epochs=2)
        >>> len(r.block_size_per_layer), round(r.uniform_radius, 3)
        (2, 4.093)

    Reference: P. Mehta, D. J. Schwab, arXiv:1410.3831 (2014).
    """
    L = V.integer("L", L, 4, 512)
    T = float(V.in_range("T", T, 0.0, 1e6, low_open=True))
    hidden = [V.integer("hidden", h, 1) for h in hidden]
    if not hidden:
        raise ValueError("hidden must contain at least one layer width")
    n_samples = V.integer("n_samples", n_samples, 1)
    if data is None:
        cfg, v = _data(L, T, n_samples, seed)
    else:
        cfg = np.asarray(data, np.float32)
        v = (cfg.reshape(len(cfg), -1) + 1.0) / 2.0
    stack = R.train_dbn(
        v,
        hidden,
        epochs=epochs,
        batch_size=min(batch_size, len(v)),
        k=k,
        lr=lr,
        l1=l1,
        persistent=persistent,
        seed=seed,
    )
    fields = RF.dense_receptive_fields([p for p, _ in stack])
    fields = [f.T.reshape(-1, L, L) for f in fields]
    return _summarise(fields, frac, stack, cfg, T, L)


def cdbn_experiment(
    L=16,
    T=I.T_C,
    n_filters=(4, 4, 4),
    filter_size=5,
    *,
    n_samples=1000,
    epochs=5,
    batch_size=50,
    k=1,
    lr=1e-2,
    l1=1e-2,
    frac=0.8,
    seed=0,
):
    """Convolutional DBN (binary conv RBMs, periodic, stride 1, no pooling) on Ising data.

    Layer-l receptive field = composition of l convolutions (support (l(f−1)+1)²);
    r_0.8 per channel, block size = mean over channels.

    Args: as :func:`mehta_schwab`; n_filters: channels per layer; filter_size: odd f.
    Returns: :class:`DBNResult`.

    Example:
        >>> r = frg.cdbn_experiment(L=8, n_filters=(2, 2), filter_size=3, n_samples=64, epochs=1)
        >>> len(r.block_size_per_layer), r.fields[0].shape
        (2, (2, 8, 8))

    Reference: H. Lee, R. Grosse, R. Ranganath, A. Ng, ICML 2009; P. Mehta, D. J. Schwab,
    arXiv:1410.3831 (2014).
    """
    L = V.integer("L", L, 4, 256)
    T = float(V.in_range("T", T, 0.0, 1e6, low_open=True))
    n_samples = V.integer("n_samples", n_samples, 1)
    cfg, v = _data(L, T, n_samples, seed)
    stack = R.train_cdbn(
        v.reshape(-1, L, L),
        list(n_filters),
        filter_size,
        epochs=epochs,
        batch_size=min(batch_size, len(v)),
        k=k,
        lr=lr,
        l1=l1,
        seed=seed,
    )
    fields = RF.conv_receptive_fields([p for p, _ in stack], L)
    return _summarise(fields, frac, stack, cfg, T, L)


def block_size_vs_temperature(
    ratios=(0.9, 1.0, 1.1, 1.3, 1.6, 2.0),
    L=16,
    hidden=(64, 16),
    *,
    n_samples=1000,
    epochs=20,
    seed=0,
    **kw,
):
    """The essay's open question: does the learned block size follow ξ(T)?

    For each T = ratio·T_c: DBN block size per layer and the second-moment ξ(T).

    Args: ratios: T/T_c values; L; hidden; n_samples; epochs; seed; **kw → :func:`mehta_schwab`.
    Returns: dict of float64 lists: ``T_over_Tc``, ``xi``, ``block_size_per_layer``,
      ``block_size_active_per_layer``, ``active_fraction_per_layer``,
      ``reconstruction_error`` (per T, one entry per layer), ``uniform_radius``, and
      ``corr_block_xi`` (Pearson r of layer-1 block size vs ξ).

    Example:
        >>> b = frg.block_size_vs_temperature(ratios=(1.0, 2.0), L=8, hidden=(16,),
        ...                                   n_samples=128, epochs=2)
        >>> b["T_over_Tc"], len(b["block_size_per_layer"])
        ([1.0, 2.0], 2)

    Reference: Z. Liu, "Machine Learning and the Renormalization Group", term essay, PHYS 563,
    UIUC, sec. 5 ("Block spin or correlation?"); P. Mehta, D. J. Schwab,
    arXiv:1410.3831 (2014).
    """
    ratios = [float(r) for r in V.in_range("ratios", list(ratios), 0.0, 100.0, low_open=True)]
    out = {"T_over_Tc": ratios, "xi": [], "block_size_per_layer": [], "reconstruction_error": []}
    for r in ratios:
        res = mehta_schwab(
            L, r * I.T_C, hidden, n_samples=n_samples, epochs=epochs, seed=seed, **kw
        )
        out["xi"].append(res.xi)
        out["block_size_per_layer"].append(res.block_size_per_layer)
        out.setdefault("block_size_active_per_layer", []).append(res.block_size_active)
        out.setdefault("active_fraction_per_layer", []).append(res.active_fraction)
        out["reconstruction_error"].append(res.reconstruction_error)
        out["uniform_radius"] = res.uniform_radius
    xi = np.asarray(out["xi"], float)
    b1 = np.asarray([b[0] for b in out["block_size_per_layer"]])
    ok = np.isfinite(xi)
    out["corr_block_xi"] = (
        float(np.corrcoef(b1[ok], xi[ok])[0, 1]) if ok.sum() > 2 else float("nan")
    )
    return out
