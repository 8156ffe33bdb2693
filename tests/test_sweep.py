"""Sweeps: sharded == single device, resume after interruption, refusal of foreign files."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frg
from frg import CheckpointError, param_grid, parse_param_spec, sweep


def _fn(p):
    # A small nonlinear map with a per-point status (fails where kappa > 0.07).
    x = p["kappa"]
    y = jnp.sin(30.0 * x) * p["lam"] + jnp.cumsum(jnp.ones(3) * x)[-1]
    return {"y": y, "vec": jnp.stack([x, x**2]), "status": (x > 0.07).astype(jnp.int32)}


def _root(p):
    # an optimistix Newton solve (lineax inside: no shard_map, the sweep's fallback)
    import optimistix as optx

    solver = optx.Newton(rtol=1e-12, atol=1e-12)
    sol = optx.root_find(lambda x, a: x**2 - a, solver, jnp.asarray(1.0), p["a"], throw=False)
    return {"x": sol.value, "status": (sol.result != optx.RESULTS.successful).astype(jnp.int32)}


def _ref(params):
    x, lam = params["kappa"], params["lam"]
    return np.sin(30.0 * x) * lam + 3 * x


def test_param_grid_and_spec():
    g = param_grid(a=[1.0, 2.0], b=[10.0, 20.0, 30.0])
    np.testing.assert_array_equal(g["a"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(g["b"], [10, 20, 30, 10, 20, 30])
    name, vals = parse_param_spec("kappa=0.01:0.08:8")
    assert name == "kappa" and vals.shape == (8,) and vals[0] == 0.01 and vals[-1] == 0.08
    assert parse_param_spec("k-ir=1e-3,1e-2")[0] == "k_ir"
    with pytest.raises(ValueError, match="NAME=start:stop:count"):
        parse_param_spec("kappa")
    with pytest.raises(ValueError, match="count"):
        parse_param_spec("kappa=0:1:0")


def test_sweep_matches_loop_and_records_failures():
    params = param_grid(kappa=np.linspace(0.01, 0.08, 13), lam=[1.0, 2.0])
    res = sweep(_fn, params, chunk_size=5, progress=False)
    np.testing.assert_allclose(res.outputs["y"], _ref(params), rtol=1e-14)
    assert res.outputs["vec"].shape == (26, 2)
    np.testing.assert_array_equal(res.failed, params["kappa"] > 0.07)
    assert res.completed.all() and res.computed_chunks == list(range(6))
    rec = res.records()
    assert len(rec) == 26 and rec[3]["kappa"] == params["kappa"][3]


def test_resume_after_interruption_computes_nothing_twice(tmp_path):
    params = param_grid(kappa=np.linspace(0.01, 0.08, 20), lam=[1.5])
    full = sweep(_fn, params, chunk_size=4, progress=False)

    class Interrupt(Exception):
        pass

    def stop_after_two(done, total):
        if done >= 8:
            raise Interrupt

    with pytest.raises(Interrupt):
        sweep(_fn, params, chunk_size=4, out=tmp_path, progress=stop_after_two, task="t")
    written = sorted(p.name for p in tmp_path.glob("chunk-*.npz"))
    assert written == ["chunk-00000.npz", "chunk-00001.npz"]
    assert not list(tmp_path.glob(".*tmp"))  # atomic: no partial files left
    with pytest.raises(CheckpointError, match="resume"):
        sweep(_fn, params, chunk_size=4, out=tmp_path, progress=False, task="t")
    res = sweep(_fn, params, chunk_size=4, out=tmp_path, resume=True, progress=False, task="t")
    assert res.computed_chunks == [2, 3, 4]
    for k in full.outputs:
        np.testing.assert_array_equal(res.outputs[k], full.outputs[k])
    again = sweep(_fn, params, chunk_size=4, out=tmp_path, resume=True, progress=False, task="t")
    assert again.computed_chunks == []


def _fn_result(p):
    # a per-point frg.RESULTS outcome (pole where kappa > 0.05, step limit where lam > 1.5)
    x = p["kappa"]
    r = frg.RESULTS.where(x > 0.05, frg.RESULTS.pole, frg.RESULTS.successful)
    r = frg.RESULTS.where(p["lam"] > 1.5, frg.RESULTS.max_steps_reached, r)
    return {"y": 2.0 * x, "result": r}


def test_results_enumeration_per_point_named_and_kept_in_checkpoints(tmp_path):
    params = param_grid(kappa=np.linspace(0.01, 0.08, 8), lam=[1.0, 2.0])
    res = sweep(_fn_result, params, chunk_size=3, out=tmp_path, progress=False, task="r")
    expect = np.where(
        params["lam"] > 1.5,
        "max_steps_reached",
        np.where(params["kappa"] > 0.05, "pole", "successful"),
    )
    assert [r["result"] for r in res.records()] == expect.tolist()
    np.testing.assert_array_equal(res.failed, expect != "successful")
    assert res.enums["result"] == list(frg.RESULTS._name_to_item)
    loaded = sweep(
        _fn_result, params, chunk_size=3, out=tmp_path, resume=True, progress=False, task="r"
    )  # every chunk read back from its file
    assert loaded.computed_chunks == [] and loaded.records() == res.records()
    np.testing.assert_array_equal(loaded.failed, res.failed)


def test_foreign_or_corrupted_checkpoint_refused(tmp_path):
    params = param_grid(kappa=np.linspace(0.01, 0.08, 8), lam=[1.0])
    sweep(_fn, params, chunk_size=4, out=tmp_path, progress=False, task="a")
    other = param_grid(kappa=np.linspace(0.02, 0.08, 8), lam=[1.0])
    with pytest.raises(CheckpointError, match="different sweep"):
        sweep(_fn, other, chunk_size=4, out=tmp_path, resume=True, progress=False, task="a")
    with pytest.raises(CheckpointError, match="different sweep"):
        sweep(_fn, params, chunk_size=4, out=tmp_path, resume=True, progress=False, task="b")
    (tmp_path / "chunk-00001.npz").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupted"):
        sweep(_fn, params, chunk_size=4, out=tmp_path, resume=True, progress=False, task="a")
    bad = tmp_path / "x"
    bad.mkdir()
    (bad / "sweep.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CheckpointError, match="not an frg sweep"):
        sweep(_fn, params, out=bad, resume=True, progress=False)


def test_sharded_over_four_host_devices_equals_single_device():
    code = textwrap.dedent(
        """
        import os, json
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
        import jax
        jax.config.update("jax_enable_x64", True)
        import numpy as np
        import tests.test_sweep as t
        from frg import sweep, param_grid
        assert len(jax.devices()) == 4
        p = param_grid(kappa=np.linspace(0.01, 0.08, 10), lam=[1.0, 2.0])
        out = [
            sweep(t._fn, p, chunk_size=6, progress=False, vmap_size=b).outputs["y"].tolist()
            for b in (None, 1, 4)  # vmap; lax.map per shard, with and without remainder
        ]
        a = param_grid(a=np.linspace(1.0, 4.0, 10))
        roots = [
            sweep(t._root, a, chunk_size=6, progress=False, vmap_size=b).outputs["x"].tolist()
            for b in (None, 1)
        ]
        print(json.dumps(out))
        print(json.dumps(roots))
        """
    )
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    lines = out.stdout.strip().splitlines()
    sharded = np.array(json.loads(lines[-2]))
    roots = np.array(json.loads(lines[-1]))
    np.testing.assert_allclose(
        roots, np.sqrt(np.linspace(1.0, 4.0, 10))[None].repeat(2, 0), rtol=1e-14
    )
    assert sharded.shape == (3, 20)
    assert len(jax.devices()) >= 1
    p = param_grid(kappa=np.linspace(0.01, 0.08, 10), lam=[1.0, 2.0])
    one = jax.devices()[:1]
    for row, b in zip(sharded, (None, 1, 4), strict=True):  # same evaluation mode: bit for bit
        single = sweep(_fn, p, chunk_size=6, progress=False, devices=one, vmap_size=b)
        np.testing.assert_array_equal(row, single.outputs["y"])


def test_vmap_size_mapped_equals_vmapped():
    # lax.map over members (vmap_size b) gives the vmapped values, remainders included;
    # only the vectorised vs scalar sin may differ, in the last bit
    params = param_grid(kappa=np.linspace(0.01, 0.08, 11), lam=[1.0, 2.0])
    ref = sweep(_fn, params, chunk_size=7, progress=False)
    for b in (1, 3, "auto"):
        res = sweep(_fn, params, chunk_size=7, progress=False, vmap_size=b)
        np.testing.assert_allclose(res.outputs["y"], ref.outputs["y"], rtol=4.5e-16, atol=0)
        np.testing.assert_array_equal(res.outputs["vec"], ref.outputs["vec"])
        np.testing.assert_array_equal(res.failed, ref.failed)
    for bad in (0, -2, 1.5, "many"):
        with pytest.raises(ValueError, match="vmap_size"):
            sweep(_fn, params, chunk_size=7, progress=False, vmap_size=bad)


@pytest.mark.slow
def test_exponent_sweep_on_two_host_devices_finishes_and_matches_one_device(tmp_path):
    # optimistix/lineax inside: no shard_map; a batched vmap of the LU solves deadlocks
    # in jaxlib's batched LAPACK kernel with one host device per core, so the
    # sweep maps members one at a time per device. A hang fails here by the timeout.
    cmd = [sys.executable, "-m", "frg.cli", "sweep", "exponents", "--param", "N=1:4:4"]
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    runs = []
    for i, e in enumerate((env, {k: v for k, v in env.items() if k != "XLA_FLAGS"})):
        out = subprocess.run(
            [*cmd, "--out", str(tmp_path / str(i)), "--json"],
            capture_output=True,
            text=True,
            env=e,
            check=True,
            timeout=240,
        )
        runs.append(json.loads(out.stdout))
    two, one = ([r["nu"] for r in run["results"]] for run in runs)
    assert runs[0]["completed"] == 4 and runs[0]["failed"] == 0
    np.testing.assert_allclose(two, one, rtol=1e-12)
