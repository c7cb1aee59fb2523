"""The emulators serve exactly the same records after the fast load paths as before them.

The digests below were taken from the record-by-record loaders (commit 6d5f4b5, before issue 14 made loading
fast): the generated payloads themselves, everything each emulator serves after loading them (``dump()`` is
what its GETs render, documents in detail), and the ids each one hands out next. A change to the generator, the
loaders or the rendering that alters a single byte of what a client sees changes a digest.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest

from recon.errors import ConfigError
from recon.sandbox.generate import generate, generate_side
from recon.sandbox.precoro import PrecoroEmulator
from recon.sandbox.xero import XeroEmulator
from recon.sandbox.xero_store import Context
from recon.sandbox.xero_wire import dumps


def _digest(value: Any) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return f"D:{v}"  # exact text: 55.00 and 55.0 differ
        if isinstance(v, float):
            return f"F:{v!r}"
        raise TypeError(type(v).__name__)
    return hashlib.sha256(json.dumps(value, default=plain, sort_keys=True).encode()).hexdigest()


def _served(xero_payload: dict[str, Any] | None, precoro_payload: dict[str, Any] | None,
            seed: str = "empty") -> dict[str, str]:
    xero = XeroEmulator(seed=seed, clock=lambda: 1_780_000_000.0)
    if xero_payload is not None:
        xero.load({k: v for k, v in xero_payload.items() if k != "Organisations"})
    loaded = hashlib.sha256(dumps(xero.dump())).hexdigest()
    # a write after the load: an update must change its own record only (nothing shared between records leaks)
    bill = next(i for i in xero.store.all("Invoices") if i["Status"] == "AUTHORISED" and not xero.store.payments_of(i["InvoiceID"]))
    line = {k: v for k, v in bill["LineItems"][0].items() if k not in ("LineAmount", "TaxAmount")}
    with xero.store.lock:
        written = xero.store.write("Invoices", [{"InvoiceID": bill["InvoiceID"], "Reference": "changed",
                                       "LineItems": [{**line, "Description": "changed", "Tracking": []}]}],
                         "upsert", Context())
    assert [r.ok for r in written] == [True], written
    precoro = PrecoroEmulator(seed=seed)
    if precoro_payload is not None:
        precoro.load(precoro_payload)
    return {"xero_loaded": loaded, "xero": hashlib.sha256(dumps(xero.dump())).hexdigest(), "xero_next_id": xero.store.new_id(),
            "precoro": _digest(precoro.dump()), "precoro_counters": _digest(precoro.state.counters)}


GOLDEN: dict[str, dict[str, str]] = {
    "generated": {
        "payloads": "80a18b7e0c6fdd61a67764a3825c2722074f71155980cac653b9cce0cf013997",
        "xero_loaded": "c2f647ad3c3c3b854970bb8c0e9d8c7318c4d6fdb138c031595204c31a396aca",
        "xero": "7f50ea042980576c1eb64feb1560e6c72de97399dced97353eb4262d1ec56042",
        "xero_next_id": "6ffa0875-e4a7-4828-9ecd-bd2cdb627a3d",
        "precoro": "6a4dfa8e7f70f2a238f799e2c7510ab8053be1451a58371e79a7f437c48ce16c",
        "precoro_counters": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    },
    "demo": {
        "xero_loaded": "93b5e80985291bf54f7f29c21954748316e00c81fb90f17158324253b5a51b2c",
        "xero": "1fc061d05ada9580f4a3b64f3606f21e50743cda37fccbe4ebb4bd4854cdd12b",
        "xero_next_id": "d67e55fd-642b-4a42-aef9-c00b8a64c1b9",
        "precoro": "814b41d7274b71335152959581a279c4d7ac6f3556f494f5fa6957c946772801",
        "precoro_counters": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    },
}


@pytest.mark.parametrize("case", ["generated", "demo"])
def test_served_records_are_unchanged(case: str) -> None:
    if case == "generated":
        xero, precoro = generate(300, 3_000, seed=7, differences=0.05)
        got = {"payloads": _digest([xero, precoro]), **_served(xero, precoro)}
    else:
        got = _served(None, None, seed="demo")
    assert got == GOLDEN[case]


@pytest.mark.parametrize(("side", "args"), [
    ("xero", (300, 3_000, 7, 0.05)), ("precoro", (300, 3_000, 7, 0.05)),
    ("xero", (1, 0, 0, 0.0)), ("precoro", (1, 0, 0, 0.0)),
    ("xero", (40, 500, 3, 1.0)), ("precoro", (40, 500, 3, 1.0)),
])
def test_one_side_equals_that_side_of_both(side: str, args: tuple[int, int, int, float]) -> None:
    suppliers, lines, seed, differences = args
    xero, precoro = generate(suppliers, lines, seed=seed, differences=differences)
    both = xero if side == "xero" else precoro
    alone = generate_side(side, suppliers, lines, seed=seed, differences=differences)
    assert _digest(alone) == _digest(both)
    assert alone == both  # the digest above also holds the exact text of every Decimal; this names a difference


def test_unknown_side_is_refused() -> None:
    with pytest.raises(ConfigError):
        generate_side("sage", 10, 10)
