"""_cascade (private; public names are re-exported by frg/__init__.py)."""
