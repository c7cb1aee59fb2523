"""``make bench`` = ``python -m recon.bench [NAME ...]``: run the registered benchmarks (all when none named).

Each benchmark is a module with ``run() -> dict`` (its measurements, printed as JSON). Other parts of recon add
theirs to ``BENCHMARKS``.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Callable

#: name → module path of a benchmark with ``run() -> dict``
BENCHMARKS: dict[str, str] = {
    "reconcile": "recon.bench.reconcile",
}


def main(argv: list[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        run: Callable[[], dict] = importlib.import_module(BENCHMARKS[name]).run
        print(json.dumps({"benchmark": name, **run()}, indent=2, sort_keys=True), flush=True)
    return 0
