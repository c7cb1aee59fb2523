"""Random JSON thrown at every writable resource: the emulator answers 200/400/404, never a 500."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from xero_sdk import HTTP, chart, emu, make_sdk, served  # noqa: F401  (fixtures)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=12), st.sampled_from(["/Date(1704067200000+0000)/", "2026-02-30", "ACCPAY",
                                                           "AUTHORISED", "DELETED", "33333333-0000-4000-8000-000000000001",
                                                           "300", "INPUT2", "WID-1", "Region", "North"]))
KEYS = st.sampled_from(["Name", "ContactID", "Type", "Status", "Date", "DueDate", "LineItems", "Quantity", "UnitAmount",
                        "AccountCode", "TaxType", "ItemCode", "Tracking", "Option", "Contact", "Invoice", "Account",
                        "Amount", "Code", "PurchaseDetails", "UnitPrice", "TaxComponents", "Rate", "Options",
                        "LineAmountTypes", "CurrencyCode", "PurchaseOrderNumber", "InvoiceNumber", "IsPurchased"])
JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(KEYS, inner, max_size=5)), max_leaves=12)
PATHS = st.sampled_from(["Contacts", "Items", "Accounts", "TrackingCategories", "TaxRates", "PurchaseOrders",
                         "Invoices", "Payments"])


def test_random_bodies_never_crash_the_emulator(served, emu) -> None:
    emu.load(chart())
    headers = {"Authorization": f"Bearer {make_sdk(served.url).store['token']['access_token']}"}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(method=st.sampled_from(["PUT", "POST"]), path=PATHS, element=JSONISH, wrap=st.booleans())
    def probe(method: str, path: str, element, wrap: bool) -> None:
        body = {path: [element]} if wrap else element
        r = HTTP.request(method, f"{served.url}/api.xro/2.0/{path}", json=body, headers=headers)
        assert r.status_code in (200, 400, 404), (r.status_code, body, r.text)

    probe()
