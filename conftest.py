"""pytest configuration for the whole repository: tests/, the doctests of frg/ and the
notebooks.

Tests and docstring examples run under float64 (the library's policy for physics
results), and the CLI's persistent compilation cache is off (hermetic runs; the CLI
subprocesses that tests start inherit the setting; tests/test_cli_cache.py turns it on).
Docstring examples find ``frg``, ``jax``, ``jnp`` and ``np`` already imported, and run
in a temporary working directory (an example that writes ``"phase.png"`` writes it there).
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
os.environ["FRG_JAX_CACHE"] = "0"


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    import frg

    doctest_namespace.update(frg=frg, jax=jax, jnp=jnp, np=np)
    if type(request.node).__name__ == "DoctestItem":
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
