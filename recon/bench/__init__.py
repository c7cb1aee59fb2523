"""Benchmarks (``make bench`` = ``python -m recon.bench [NAME ...] [-- ARGS]``): one module per area.

Each module has ``run(args: list[str])``; it prints its measurements and records them in its own section of
``docs/benchmarks.md``. With no name every module runs.
"""
