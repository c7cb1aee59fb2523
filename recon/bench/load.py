"""Emulator load benchmark: how long the 1,000,000-line data set takes to generate and to load into the Xero and
Precoro emulators (in this process, as ``recon.bench fetch`` does in each emulator's process), and the peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any


def measure(suppliers: int = 100_000, lines: int = 1_000_000) -> dict[str, Any]:
    """Generate ``suppliers`` and ``lines`` and load them into fresh emulators; seconds of each step."""
    from recon.bench.fetch import BIG
    from recon.sandbox.generate import generate
    from recon.sandbox.precoro import PrecoroEmulator
    from recon.sandbox.xero import XeroEmulator

    start = time.perf_counter()
    xero, precoro = generate(suppliers, lines, seed=0, differences=0.01)
    generated = time.perf_counter()
    xero.pop("Organisations", None)
    XeroEmulator(seed="empty", limits={"minute": BIG["minute"], "day": BIG["day"]}).load(xero)
    xero_loaded = time.perf_counter()
    PrecoroEmulator(seed="empty", limits=BIG).load(precoro)
    done = time.perf_counter()
    return {"suppliers": suppliers, "lines": lines, "generate_seconds": round(generated - start, 1),
            "xero_load_seconds": round(xero_loaded - generated, 1), "precoro_load_seconds": round(done - xero_loaded, 1),
            "total_seconds": round(done - start, 1), "goal_total_seconds_at_most": 30,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run(args: list[str]) -> None:
    """``python -m recon.bench load [-- --suppliers N --lines N]``: print the measurements as JSON."""
    parser = argparse.ArgumentParser(prog="recon.bench load")
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    opts = parser.parse_args(args)
    print(json.dumps(measure(opts.suppliers, opts.lines), indent=2, sort_keys=True), flush=True)
