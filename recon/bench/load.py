"""Emulator load benchmark: how long the 1,000,000-line data set takes to generate and to load into the Xero and
Precoro emulators, and the peak memory.

Each emulator generates and loads its side of the data in a process of its own, both at once (the Xero emulator
in a forked child, the Precoro one here), as ``recon.bench fetch`` runs each emulator in its own process; each
process generates only the side it loads (``generate_side``). The total is the wall time until both hold the
data; each step is also given in CPU seconds, which say what the work costs on a shared machine, and
``sequential_seconds`` adds the steps up as if one process did all of it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import traceback
from typing import Any


def measure(suppliers: int = 100_000, lines: int = 1_000_000) -> dict[str, Any]:
    """Generate ``suppliers`` and ``lines`` and load them into fresh emulators; seconds of each step."""
    from recon.bench.fetch import BIG
    from recon.sandbox.generate import generate_side
    from recon.sandbox.precoro import PrecoroEmulator
    from recon.sandbox.xero import XeroEmulator

    def xero_side() -> dict[str, float]:
        began, cpu_began = time.perf_counter(), time.process_time()
        xero = generate_side("xero", suppliers, lines, seed=0, differences=0.01)
        xero.pop("Organisations", None)
        generated, cpu_generated = time.perf_counter(), time.process_time()
        XeroEmulator(seed="empty", limits={"minute": BIG["minute"], "day": BIG["day"]}).load(xero)
        return {"generate": generated - began, "generate_cpu": cpu_generated - cpu_began,
                "load": time.perf_counter() - generated, "load_cpu": time.process_time() - cpu_generated}

    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    # each process generates only the side it loads (the same records as generate() gives for that side)
    xero_child = _in_child(xero_side)
    cpu_start = time.process_time()
    precoro = generate_side("precoro", suppliers, lines, seed=0, differences=0.01)
    generated, cpu_generated = time.perf_counter(), time.process_time()
    PrecoroEmulator(seed="empty", limits=BIG).load(precoro)
    precoro_done, cpu_done = time.perf_counter(), time.process_time()
    x = xero_child()  # waits for the child
    done = time.perf_counter()
    p = {"generate": generated - start, "generate_cpu": cpu_generated - cpu_start,
         "load": precoro_done - generated, "load_cpu": cpu_done - cpu_generated}
    return {"suppliers": suppliers, "lines": lines,
            "generate_seconds": {"xero": round(x["generate"], 1), "precoro": round(p["generate"], 1)},
            "xero_load_seconds": round(x["load"], 1), "precoro_load_seconds": round(p["load"], 1),
            "xero_process_seconds": round(x["generate"] + x["load"], 1),
            "precoro_process_seconds": round(precoro_done - start, 1),
            "total_seconds": round(done - start, 1), "goal_total_seconds_at_most": 30,
            "sequential_seconds": round(x["generate"] + x["load"] + p["generate"] + p["load"], 1),
            "cpu_seconds": {"generate_xero": round(x["generate_cpu"], 1),
                            "generate_precoro": round(p["generate_cpu"], 1),
                            "xero_load": round(x["load_cpu"], 1), "precoro_load": round(p["load_cpu"], 1)},
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_rss_mib_xero_process": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def _in_child(work: Any) -> Any:
    """Run ``work()`` in a forked child (it sees this process's data as it is now); returns a function that
    waits for the child and gives ``work``'s JSON result."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, hand back the result, and leave without running the parent's exits
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "w") as out:
                json.dump(work(), out)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)

    def result() -> Any:
        with os.fdopen(read) as got:
            text = got.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not text:
            raise RuntimeError(f"the loading child process failed (status {status})")
        return json.loads(text)
    return result


def run(args: list[str]) -> None:
    """``python -m recon.bench load [-- --suppliers N --lines N]``: print the measurements as JSON."""
    parser = argparse.ArgumentParser(prog="recon.bench load")
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    opts = parser.parse_args(args)
    print(json.dumps(measure(opts.suppliers, opts.lines), indent=2, sort_keys=True), flush=True)
