"""The CLI's persistent compilation cache (frg.cli._compilation_cache)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _frg(args, cache_home, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("FRG_", "JAX_COMP"))}
    environ.update(XDG_CACHE_HOME=str(cache_home), **env)
    out = subprocess.run(
        [sys.executable, "-m", "frg.cli", *args, "--json"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.slow
def test_cli_fills_and_reuses_the_compilation_cache(tmp_path):
    # every compile is cached here (JAX's default threshold is 1 s of compile)
    env = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    first = _frg(["zero-d", "--grid", "16"], tmp_path / "on", **env)
    entries = sorted(p.name for p in (tmp_path / "on" / "frg" / "jax").iterdir())
    # written on the first run, the program holding the diffrax solves too: in the CLI's
    # process equinox's run-time checks are not host callbacks (which JAX never caches)
    assert any(name.startswith("jit__two_grids") for name in entries), entries
    again = _frg(["zero-d", "--grid", "16"], tmp_path / "on", **env)
    assert again["gamma2"] == first["gamma2"] and again["gamma4"] == first["gamma4"]
    assert sorted(p.name for p in (tmp_path / "on" / "frg" / "jax").iterdir()) == entries


def test_cli_cache_opt_out_and_user_directory(tmp_path, monkeypatch):
    import jax

    from frg.cli import _compilation_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FRG_JAX_CACHE", "0")  # opted out: JAX's setting untouched
    before = jax.config.jax_compilation_cache_dir
    _compilation_cache()
    assert jax.config.jax_compilation_cache_dir == before
    monkeypatch.setenv("FRG_JAX_CACHE", "1")  # a directory the user chose is kept
    try:
        jax.config.update("jax_compilation_cache_dir", str(tmp_path / "mine"))
        _compilation_cache()
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "mine")
    finally:
        jax.config.update("jax_compilation_cache_dir", before)
