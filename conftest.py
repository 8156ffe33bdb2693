"""pytest configuration for the whole repository: tests/, the doctests of frg/ and the
notebooks.

Tests and docstring examples run under float64 (the library's policy for physics
results). Docstring examples find ``frg``, ``jax``, ``jnp`` and ``np`` already imported,
and run in a temporary working directory (an example that writes ``"phase.png"`` writes
it there).

Compilation: one persistent compilation cache per run. The controlling process creates
a fresh directory and exports it as ``JAX_COMPILATION_CACHE_DIR``, which every
pytest-xdist worker and every CLI subprocess that a test starts inherits (the CLI's own
user cache is off, ``FRG_JAX_CACHE=0``; tests/test_cli_cache.py turns it on in a
directory of its own). A program compiled by one process (the default LPA solve, the
O(∂²) solve, a CLI command's solve) is then loaded by the others instead of compiled
again. The directory is removed at the end of the run: nothing compiled by an earlier
run is reused. After each test module the in-memory caches are cleared
(``jax.clear_caches()``), so a worker does not carry every program of the modules it ran
before. It does not change the run time measurably (README test command, 2-core AMD
EPYC: 597 s without the clearing, 591–618 s with it).
"""

import gc
import os
import shutil
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
os.environ["FRG_JAX_CACHE"] = "0"
# Tracing large programs allocates millions of short-lived objects; the default
# generation-0 threshold (700) runs the cyclic collector thousands of times per compile.
gc.freeze()
gc.set_threshold(50_000, 20, 20)

_OWN_CACHE = None  # the directory this (controlling) process created
if not os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("JAX_COMPILATION_CACHE_DIR"):
    _OWN_CACHE = os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="frg-tests-")
    jax.config.update("jax_compilation_cache_dir", _OWN_CACHE)


def pytest_unconfigure(config):
    if _OWN_CACHE is not None:
        shutil.rmtree(_OWN_CACHE, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    # The validation tier is a subset of the slow one: `-m "not slow"` is the quick loop.
    for item in items:
        if item.get_closest_marker("validation"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="module")
def _fresh_in_memory_caches():
    yield
    jax.clear_caches()
    gc.collect()


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    import frg

    doctest_namespace.update(frg=frg, jax=jax, jnp=jnp, np=np)
    if type(request.node).__name__ == "DoctestItem":
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
