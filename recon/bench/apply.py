"""Apply benchmark: the calls and wall time of an apply of N supplier updates into Xero, under Xero's real limits.

Through the real parts end to end, against both emulators over HTTP on loopback (in this process):

1. a company of N linked suppliers, the same on both sides (``recon.sandbox.generate``, no differences), its
   links in recon's state store; a first fetch and reconcile plans nothing and records the baselines;
2. every supplier's e-mail changed in Precoro through Precoro's API (recon's Precoro connector);
3. a fetch and reconcile plans N supplier updates into Xero; the session's user approves them all
   (``Session.approve_ids``: the approvals chain of the state store, as a click in the grid records them);
4. **measured**: the apply (``Session.apply``), with the Xero emulator enforcing the minute and day limits of the
   case and recon's pacer knowing the same limits, both starting with a fresh minute (the fetch before it ran
   under raised limits: the accountant approves some time after the fetch). The Xero emulator's request
   counts (``/_sandbox/stats``) give the apply's reads and writes; ``/connect/token`` is not an API call;
5. a fetch and reconcile again, which must plan nothing for those suppliers (``converged``).

**The bound.** Xero's minute limit is a rolling window: at most L calls in any 60 seconds, so call number k
(from 0) cannot start before call k - L started plus 60 s. C calls, one after another, therefore take at least
``60 * floor((C - 1) / L)`` seconds of waiting for the limit (none when C <= L), beyond the calls' own time. The
calls' own time is the same apply under unlimited limits, measured in the same run. So::

    bound = unlimited wall time + 60 * floor((C - 1) / L)        ratio = wall time under the limit / bound

and the goal is ratio <= 1.10 (pacing costs at most 10 % over the least the limit allows). recon's pacer counts
each call for a second longer than the window (``recon.limits.WINDOW_MARGIN``), so it waits 61 s per window where
the bound has 60. The bound is generous to recon in one way: work done before a forced window (journal rows of
the next batch) hides inside the wait, so a ratio a little below 1 is possible. :func:`least_seconds` is the
tight form, from when each call started in the unlimited run: call L*m cannot start before the first call plus m
windows, and what followed it there still has to be done (``least_seconds`` and ``ratio_to_least`` per case).

``python -m recon.bench apply -- [--suppliers 1000] [--low-minute 10] [--repeat 3] [--no-write]`` prints one JSON object with a
result per case (``unlimited``, ``real``: 60 a minute and 5,000 a day, and ``low``: 10 a minute, which makes
1,000 updates wait) and writes the "Apply" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import tempfile
import time
from typing import Any, Iterator

from recon.bench import _docs_page as docs_page
from recon.limits import XERO_LIMITS, calls

SECTION = "## Apply"
#: limits far above anything a case uses, for the set-up and the "unlimited" case
BIG = {"minute": 10_000_000, "day": 10_000_000}
BIG_PRECORO = {"minute": 10_000_000, "hour": 10_000_000, "day": 10_000_000}
REAL = calls(XERO_LIMITS)  # {"minute": 60, "day": 5000}
GOAL_WRITE_CALLS = 20
GOAL_RATIO = 1.10


def bound_seconds(api_calls: int, minute_limit: int, unlimited_seconds: float, window: float = 60.0) -> float:
    """The least wall time ``api_calls`` calls in a row can take at ``minute_limit`` a rolling ``window``: the
    calls' own time (``unlimited_seconds``) plus the waits the window forces (module docstring)."""
    waits = (api_calls - 1) // minute_limit if api_calls > minute_limit else 0
    return unlimited_seconds + waits * window


def least_seconds(call_starts: list[float], total: float, minute_limit: int, window: float = 60.0) -> float:
    """The least wall time an apply can take at ``minute_limit`` calls a rolling ``window``, given when each of its
    calls started (``call_starts``, seconds from the apply's start) and how long it took (``total``) with no
    limit: call number L*m cannot start before the first call plus m windows, and what followed it in the
    unlimited run still has to be done after it (module docstring)."""
    calls = len(call_starts)
    windows = (calls - 1) // minute_limit if calls > minute_limit else 0
    first = call_starts[0] if call_starts else 0.0
    return max(first + m * window + total - call_starts[m * minute_limit] for m in range(windows + 1)) \
        if call_starts else total


def _stats(url: str) -> dict[str, int]:
    """The Xero emulator's API calls so far, reads and writes (token calls left out), and those it refused."""
    import httpx

    body = httpx.get(f"{url}/_sandbox/stats", timeout=10).json()
    out = {"reads": 0, "writes": 0, "refused": sum(body.get("limited", {}).values())}
    for route, n in body["by_route"].items():
        if route.endswith("/connect/token"):
            continue  # a token per half hour, not counted against the API's limits
        out["reads" if route.startswith("GET ") else "writes"] += n
    return out


@contextlib.contextmanager
def _connectors(settings: Any, xero_limits: dict[str, Any], precoro_limits: dict[str, Any]) -> Iterator[Any]:
    """Both connectors, their (process-wide) pacers set to the given limits: every fetch and apply of this
    process draws on these pacers."""
    from recon.connectors import open_connectors

    with open_connectors(settings) as conns:
        conns[0].pacer.set_limits(xero_limits)
        conns[1].pacer.set_limits(precoro_limits)
        yield conns


def _set_xero_limits(sb: Any, limits: dict[str, int], window: float) -> None:
    """The Xero emulator's limits for what follows, counting from nothing (a fresh minute and day)."""
    for w in sb.xero.limiter.windows:
        if w.name == "minute":
            w.seconds = window
    sb.xero.limiter.set_limits(limits)
    sb.xero.limiter.reset()
    sb.xero.stats.reset()


def _supplier_actions(plan: Any) -> list[Any]:
    return [a for a in plan.actions if a.kind == "supplier"]


def measure(suppliers: int = 1000, limits: dict[str, int] | None = None, *, window: float = 60.0,
            out: Any = None) -> dict[str, Any]:
    """One case: ``suppliers`` updates applied into Xero with the Xero emulator and recon's pacer at ``limits``
    (``{"minute": 60, "day": 5000}``; default: Xero's real ones), the minute window ``window`` seconds long
    (tests shorten it). Returns the counts, the wall time and whether a reconcile afterwards plans nothing."""
    from recon.config import load_settings
    from recon.connectors.base import WriteRequest
    from recon.connectors.pacing import reset_pacers
    from recon.sandbox import Sandbox
    from recon.sandbox.generate import generate, links_of
    from recon.store import Store
    from recon.workbench import Session

    limits = dict(limits or REAL)
    say = out or (lambda _: None)
    kinds = ("supplier",)
    with tempfile.TemporaryDirectory(prefix="recon-bench-apply-") as tmp, \
            Sandbox(seed="empty", xero_limits=BIG, precoro_limits=BIG_PRECORO) as sb:
        reset_pacers()
        xero, precoro = generate(suppliers, 0, seed=0, differences=0.0)
        xero.pop("Organisations", None)
        sb.load(xero, precoro)
        settings = load_settings("sandbox", env={"RECON_DATA_DIR": tmp}).with_sandbox_urls(sb.xero_url, sb.precoro_url)
        with Store(settings.state_path) as store:
            store.seed(links=[link for link in links_of(precoro) if link["kind"] == "supplier"])

        def session(name: str) -> Any:
            return Session.open(run_id=name, notebook="bench", parameters={}, settings=settings, out=say)

        with _connectors(settings, BIG, BIG_PRECORO) as conns:
            with session("baseline") as s:
                first = s.reconcile(s.fetch(kinds, full=True, progress=False), kinds).plan
            if first.actions:
                raise AssertionError(f"the generated company should agree, but {len(first.actions)} actions were planned")
            changed = conns[1].write([WriteRequest(f"bench-{p['id']}", "supplier", "update", str(p["id"]),
                                                   {"email": f"ap.{n:06d}@changed.example"})
                                      for n, p in enumerate(precoro["suppliers"])])
            refused = [r.error for r in changed if not r.ok]
            if refused:
                raise AssertionError(f"{len(refused)} Precoro updates refused, e.g. {refused[0]}")
            with session("apply") as s:
                plan = s.reconcile(s.fetch(kinds, full=True, progress=False), kinds).plan
                updates = [a for a in plan.actions if (a.kind, a.op, a.target) == ("supplier", "update", "xero")]
                if len(updates) != len(plan.actions) or len(updates) != suppliers:
                    raise AssertionError(f"expected {suppliers} supplier updates into Xero, the plan has "
                                         f"{len(updates)} of {len(plan.actions)} actions")
                s.approve_ids(plan, "all")
                # the measured part: a fresh minute on both sides, the case's limits on both sides
                reset_pacers()
                _set_xero_limits(sb, limits, window)
                with _connectors(settings, {"minute": (limits["minute"], window), "day": limits["day"]},
                                 BIG_PRECORO) as measured:
                    starts: list[float] = []
                    _time_calls(measured[0], starts)
                    started = time.perf_counter()
                    outcome = s.apply(plan, progress=False, connectors=measured)
                    wall = time.perf_counter() - started
                    waited = measured[0].pacer.stats.waited
                counted = _stats(sb.xero_url)
        applied = outcome.counts().get("applied", 0)
        reset_pacers()
        _set_xero_limits(sb, BIG, 60.0)
        with _connectors(settings, BIG, BIG_PRECORO):
            with session("after") as s:
                after = s.reconcile(s.fetch(kinds, full=True, progress=False), kinds).plan
        left = len(_supplier_actions(after))
    api_calls = counted["reads"] + counted["writes"]
    return {"suppliers": suppliers, "minute_limit": limits["minute"], "day_limit": limits["day"],
            "window_seconds": window, "updates_planned": len(updates), "applied": applied,
            "write_calls": counted["writes"], "read_calls": counted["reads"], "api_calls": api_calls,
            "refused_429": counted["refused"], "wall_seconds": round(wall, 3), "pacer_waited_seconds": round(waited, 1),
            "windows_waited": (api_calls - 1) // limits["minute"] if api_calls > limits["minute"] else 0,
            "actions_after": left, "converged": left == 0 and applied == suppliers,
            "call_starts": [round(t - started, 4) for t in starts]}


def _time_calls(xero: Any, starts: list[float]) -> None:
    """Note when the connector asks for each call (before any wait for the pacer): the unlimited run's call times
    give the least time the limit allows (:func:`least_seconds`)."""
    inner = xero.call

    def timed(*args: Any, **kwargs: Any) -> Any:
        starts.append(time.perf_counter())
        return inner(*args, **kwargs)
    xero.call = timed  # every request of the connector goes through its own ``call``


def run_cases(suppliers: int, low_minute: int, repeat: int = 3, out: Any = None) -> dict[str, Any]:
    """The cases of one size, each on a fresh company: the unlimited and the real-limits apply alternate
    ``repeat`` times (on a shared machine a slow moment then hits both alike; the best of each counts), then one
    apply under a low minute limit. The bound and ratio of the limited ones are against the best unlimited time."""
    runs: dict[str, list[dict[str, Any]]] = {"unlimited": [], "real": []}
    for _ in range(max(1, repeat)):
        runs["unlimited"].append(measure(suppliers, BIG, out=out))
        runs["real"].append(measure(suppliers, REAL, out=out))
    if low_minute:
        runs["low"] = [measure(suppliers, {"minute": low_minute, "day": REAL["day"]}, out=out)]
    cases = {name: dict(min(rs, key=lambda r: r["wall_seconds"])) for name, rs in runs.items()}
    for name, rs in runs.items():
        cases[name]["every_wall_seconds"] = [r["wall_seconds"] for r in rs]
    unlimited = cases["unlimited"]
    own = unlimited["wall_seconds"]
    for name in [n for n in ("real", "low") if n in cases]:
        c = cases[name]
        c["bound_seconds"] = round(bound_seconds(c["api_calls"], c["minute_limit"], own), 3)
        c["ratio"] = round(c["wall_seconds"] / c["bound_seconds"], 3)
        c["least_seconds"] = round(least_seconds(unlimited["call_starts"], own, c["minute_limit"]), 3)
        c["ratio_to_least"] = round(c["wall_seconds"] / c["least_seconds"], 3)
    for c in cases.values():
        c.pop("call_starts", None)
    load = os.getloadavg()
    return {"suppliers": suppliers, "cases": cases, "repeat": max(1, repeat),
            "goal": {"write_calls_at_most": GOAL_WRITE_CALLS, "ratio_at_most": GOAL_RATIO},
            "met": {"write_calls": cases["real"]["write_calls"] <= GOAL_WRITE_CALLS,
                    **{f"ratio_{n}": cases[n]["ratio"] <= GOAL_RATIO for n in ("real", "low") if n in cases},
                    **{f"ratio_to_least_{n}": cases[n]["ratio_to_least"] <= GOAL_RATIO for n in ("real", "low")
                       if n in cases},
                    "converged": all(r["converged"] for rs in runs.values() for r in rs)},
            "at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average": [round(x, 2) for x in load], "cores": os.cpu_count()}


def render(result: dict[str, Any]) -> str:
    """The "Apply" section of docs/benchmarks.md."""
    c = result["cases"]
    rows = [("unlimited", "raised (10,000,000 a minute)"), ("real", "Xero's real: 60 a minute, 5,000 a day")]
    rows += [("low", f"{c['low']['minute_limit']} a minute, 5,000 a day")] if "low" in c else []
    out = [SECTION, "",
           f"Measured {result['at']} with `python -m recon.bench apply` (`recon/bench/apply.py`) on {result['cores']} "
           f"cores, load average {', '.join(map(str, result['load_average']))} at the end (the machine is shared; "
           "the ratios are within one run).",
           f"{result['suppliers']:,} linked suppliers whose e-mail was changed in Precoro; reconcile plans "
           f"{result['suppliers']:,} supplier updates into Xero, the session's user approves them all, and the apply "
           "runs against the Xero emulator enforcing the case's limits (recon's pacer set to the same), both starting "
           "from a fresh minute. Calls are the Xero emulator's own counts (`/_sandbox/stats`, token calls left out).",
           "Bound = the unlimited case's wall time + 60 s x floor((C - 1) / L) for C calls at L a rolling minute "
           "(no wait when C <= L); ratio = wall time / bound (goal <= 1.10). Least = the least time the limit allows "
           "given when each call started in the unlimited run: max over m of (first call + 60 s x m + what followed "
           "call L x m there), the tighter of the two when the waits are long beside the apply's own work.", "",
           "| case | limits | write calls | read calls | 429s | wall time | bound | ratio | least | ratio to least | "
           "pacer waited | reconcile after: actions |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, limits in rows:
        r = c[name]
        bound = f"{r['bound_seconds']:.1f} s" if "bound_seconds" in r else ""
        ratio = f"{r['ratio']:.3f}" if "ratio" in r else ""
        least = f"{r['least_seconds']:.1f} s | {r['ratio_to_least']:.3f}" if "least_seconds" in r else " | "
        out.append(f"| {name} | {limits} | {r['write_calls']} | {r['read_calls']} | {r['refused_429']} | "
                   f"{r['wall_seconds']:.1f} s | {bound} | {ratio} | {least} | {r['pacer_waited_seconds']:.1f} s | "
                   f"{r['actions_after']} |")
    every = "; ".join(f"{name} {', '.join(f'{t:.1f}' for t in c[name]['every_wall_seconds'])} s" for name, _ in rows)
    out += ["", f"Wall times are the best of {result['repeat']} alternating runs of the unlimited and real cases "
            f"(the low case once); every run (the unlimited and real ones alternated): {every}."]
    return "\n".join(out) + "\n"


def run(args: list[str]) -> None:
    """``python -m recon.bench apply [-- --suppliers N --low-minute L --no-write]``: print the result as JSON."""
    parser = argparse.ArgumentParser(prog="python -m recon.bench apply")
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--low-minute", type=int, default=10, help="the low case's calls a minute (0: no low case)")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of the unlimited and real cases")
    parser.add_argument("--no-write", action="store_true")
    opts = parser.parse_args(args)
    result = run_cases(opts.suppliers, opts.low_minute, opts.repeat)
    print(json.dumps(result, indent=2, sort_keys=True), flush=True)
    if not opts.no_write:
        docs_page.write_section(render(result), SECTION)
