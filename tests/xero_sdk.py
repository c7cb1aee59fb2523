"""Shared fixtures for the Xero emulator tests: one emulator on loopback per session, the real SDK per test.

The SDK is pointed at the emulator the way reference/xero-api.md sections 3 and 4 describe: token URLs are
``TokenApi`` class attributes, ``AccountingApi`` takes ``base_url``, and ``Configuration`` is a
pseudo-singleton (construct, then assign). urllib3's hidden Retry-After retries are switched off (section 8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from recon.config import SANDBOX_XERO_CLIENT_ID, SANDBOX_XERO_CLIENT_SECRET, SANDBOX_XERO_TENANT_ID
from recon.sandbox.server import ThreadedServer
from recon.sandbox.xero import XeroEmulator

TENANT = SANDBOX_XERO_TENANT_ID
HIGH_LIMITS = {"minute": 1_000_000, "day": 1_000_000}
#: One client for the whole session (building an httpx client per call costs ~0.1 s of TLS setup).
HTTP = httpx.Client(timeout=30)


class Clock:
    """A settable clock (epoch seconds) shared by the emulator's tokens, timestamps and limits."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Served:
    emu: XeroEmulator
    url: str
    clock: Clock


@dataclass
class Sdk:
    """The real SDK, logged in with client credentials against the emulator."""

    acc: AccountingApi
    ident: IdentityApi
    client: ApiClient
    store: dict[str, Any]
    url: str


def make_sdk(url: str, login: bool = True) -> Sdk:
    TokenApi.client_credentials_token_url = f"{url}/connect/token"
    TokenApi.refresh_token_url = f"{url}/connect/token"
    TokenApi.revoke_token_url = f"{url}/connect/revocation"
    cfg = Configuration()
    cfg.oauth2_token = OAuth2Token(client_id=SANDBOX_XERO_CLIENT_ID, client_secret=SANDBOX_XERO_CLIENT_SECRET)
    store: dict[str, Any] = {}
    client = ApiClient(cfg, pool_threads=1, oauth2_token_getter=lambda: store.get("token"),
                       oauth2_token_saver=lambda tok: store.__setitem__("token", tok))
    client.rest_client.pool_manager.connection_pool_kw["retries"] = urllib3.util.Retry(
        total=0, respect_retry_after_header=False, raise_on_status=False)
    client.rest_client.pool_manager.clear()
    if login:
        client.get_client_credentials_token()
    return Sdk(AccountingApi(client, base_url=f"{url}/api.xro/2.0"), IdentityApi(client, base_url=url), client,
               store, url)


@pytest.fixture(scope="session")
def served() -> Any:
    clock = Clock()
    emu = XeroEmulator(limits=HIGH_LIMITS, clock=clock)
    with ThreadedServer(emu.app) as server:
        yield Served(emu, server.url, clock)


@pytest.fixture()
def emu(served: Served) -> XeroEmulator:
    """A fresh, empty organisation with high limits and no faults."""
    served.emu.app.configure({"limits": HIGH_LIMITS, "rate_429": 0, "rate_5xx": 0, "rate_slow": 0, "rate_drop": 0,
                              "rate_drop_after": 0, "methods": [], "path_regex": "", "max_faults": None})
    served.emu.reset("empty")
    return served.emu


@pytest.fixture()
def sdk(served: Served, emu: XeroEmulator) -> Sdk:
    return make_sdk(served.url)


# --------------------------------------------------------------------- a small organisation

def chart() -> dict[str, list[dict[str, Any]]]:
    """Tax rates, accounts and tracking every document test needs (GET shapes, as load takes them)."""
    return {
        "TaxRates": [
            {"Name": "15% GST on Expenses", "TaxType": "INPUT2", "ReportTaxType": "INPUT", "Status": "ACTIVE",
             "TaxComponents": [{"Name": "GST", "Rate": 15.0, "IsCompound": False, "IsNonRecoverable": False}]},
            {"Name": "15% GST on Income", "TaxType": "OUTPUT2", "ReportTaxType": "OUTPUT", "Status": "ACTIVE",
             "TaxComponents": [{"Name": "GST", "Rate": 15.0, "IsCompound": False, "IsNonRecoverable": False}]},
            {"Name": "10% Reduced", "TaxType": "TAX001", "ReportTaxType": "INPUT", "Status": "ACTIVE",
             "TaxComponents": [{"Name": "GST", "Rate": 10.0, "IsCompound": False, "IsNonRecoverable": False}]},
            {"Name": "No GST", "TaxType": "NONE", "ReportTaxType": "NONE", "Status": "ACTIVE",
             "TaxComponents": [{"Name": "GST", "Rate": 0.0, "IsCompound": False, "IsNonRecoverable": False}]},
        ],
        "Accounts": [
            {"AccountID": "11111111-0000-4000-8000-000000000090", "Code": "090", "Name": "Business Bank Account",
             "Type": "BANK", "BankAccountNumber": "0102030405060", "CurrencyCode": "NZD", "TaxType": "NONE"},
            {"AccountID": "11111111-0000-4000-8000-000000000200", "Code": "200", "Name": "Sales", "Type": "REVENUE",
             "TaxType": "OUTPUT2"},
            {"AccountID": "11111111-0000-4000-8000-000000000300", "Code": "300", "Name": "Purchases",
             "Type": "DIRECTCOSTS", "TaxType": "INPUT2"},
            {"AccountID": "11111111-0000-4000-8000-000000000429", "Code": "429", "Name": "General Expenses",
             "Type": "EXPENSE", "TaxType": "INPUT2"},
            {"AccountID": "11111111-0000-4000-8000-000000000860", "Code": "860", "Name": "Rounding",
             "Type": "CURRLIAB", "SystemAccount": "ROUNDING", "TaxType": "NONE"},
        ],
        "TrackingCategories": [
            {"TrackingCategoryID": "22222222-0000-4000-8000-000000000001", "Name": "Region", "Status": "ACTIVE",
             "Options": [{"TrackingOptionID": "22222222-0000-4000-8000-000000000011", "Name": "North", "Status": "ACTIVE"},
                         {"TrackingOptionID": "22222222-0000-4000-8000-000000000012", "Name": "South", "Status": "ACTIVE"}]},
        ],
        "Contacts": [
            {"ContactID": "33333333-0000-4000-8000-000000000001", "Name": "Acme Supplies", "ContactStatus": "ACTIVE"},
        ],
        "Items": [
            {"ItemID": "44444444-0000-4000-8000-000000000001", "Code": "WID-1", "Name": "Widget",
             "PurchaseDescription": "Widget, blue", "IsPurchased": True, "IsSold": True,
             "PurchaseDetails": {"UnitPrice": 12.5, "AccountCode": "300", "TaxType": "INPUT2"},
             "SalesDetails": {"UnitPrice": 20.0, "AccountCode": "200", "TaxType": "OUTPUT2"}},
        ],
    }


ACME = "33333333-0000-4000-8000-000000000001"
