"""Benchmarks (``make bench``): one module per area, each with ``run(args: list[str]) -> None`` that prints
its results and updates its section of ``docs/benchmarks.md``. ``python -m recon.bench [NAME ...]`` runs the
named modules (all when none is named)."""
