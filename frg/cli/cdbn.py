"""``frg cdbn``: convolutional DBN (binary conv RBMs, no pooling) on 2D Ising samples."""

from __future__ import annotations

from ._common import add_command
from .mehta_schwab import run as _run


def run(args):
    args.conv = True
    args.pcd = False
    if args.J is None:
        args.J = 0.408
    return _run(args)


def register(subparsers):
    import frg

    p = add_command(
        subparsers, "cdbn", run, "Convolutional DBN on 2D Ising: receptive field vs depth", out=True
    )
    p.add_argument("--L", type=int, default=16)
    p.add_argument("--T", type=float, default=frg.T_C, help="temperature (default T_c)")
    p.add_argument("--hidden", default="4,4,4", help="channels per layer")
    p.add_argument("--filter-size", type=int, default=5, help="odd filter size")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--l1", type=float, default=1e-2)
    p.add_argument("--k", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(J=None)
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
