"""Three organisations of a firm, each its own sandbox with different data, listed in one recon.toml (one profile
each, its own state and reports folder, the demo approval policy): what the firm tests and the Airflow test run
their night against. Usable without pytest (the Airflow test's driver imports it in Airflow's own venv)."""

from __future__ import annotations

import contextlib
import copy
import zlib
from pathlib import Path
from typing import Iterator

#: each organisation: the extra suppliers its Xero holds beyond the demo company (so their data differ)
ORGANISATIONS = {"acme": 0, "kauri": 1, "tui": 2}


def extra_contacts(name: str, count: int) -> list[dict]:
    """``count`` suppliers only this organisation's Xero holds (created in its Precoro by the night's sync)."""
    from recon.sandbox.demo import xero_seed

    template = xero_seed()["Contacts"][0]
    contacts = []
    for n in range(count):
        contact = copy.deepcopy(template)
        contact.update({"ContactID": f"00000000-0000-4000-8000-{zlib.crc32(name.encode()) % 10**8:08d}{n:04d}",
                        "Name": f"{name.title()} Supplies {n + 1} Ltd", "EmailAddress": f"ap{n}@{name}.example",
                        "TaxNumber": f"900-{n:03d}-{len(name):03d}", "CompanyNumber": f"94290{n:03d}{len(name):04d}"})
        contacts.append(contact)
    return contacts


def profile_table(name: str, sandbox, policy: str = "demo") -> str:
    return f"""
[profile.{name}]
xero_client_id = "sandbox-client"
xero_client_secret_env = "FIRM_XERO_SECRET"
xero_tenant_id = "sandbox-tenant"
xero_api_url = "{sandbox.xero_url}"
xero_identity_url = "{sandbox.xero_url}"
precoro_token_env = "{name.upper()}_PRECORO_TOKEN"
precoro_email = "sandbox@example.com"
precoro_base_url = "{sandbox.precoro_url}"
state = "clients/{name}/state.sqlite"
reports_dir = "clients/{name}/reports"
policy = "{policy}"
"""


def environment(home: Path) -> dict[str, str]:
    """The variables the firm's workers have: the config file and the secrets its profiles name."""
    env = {"RECON_CONFIG": str(home / "recon.toml"), "FIRM_XERO_SECRET": "sandbox-secret"}
    env.update({f"{name.upper()}_PRECORO_TOKEN": "sandbox-token" for name in ORGANISATIONS})
    return env


@contextlib.contextmanager
def firm(home: Path, *, limits_store: str = "", policies: dict[str, str] | None = None) -> Iterator[dict]:
    """Start the three sandboxes, write ``home/recon.toml`` and seed each organisation's state; yields the
    sandboxes by organisation. ``limits_store`` goes into ``[defaults]`` when given; ``policies`` replaces the
    demo policy for the organisations it names."""
    from recon.demo import reset_state
    from recon.sandbox import Sandbox

    with contextlib.ExitStack() as stack:
        sandboxes = {}
        for name, extra in ORGANISATIONS.items():
            sb = stack.enter_context(Sandbox(seed="demo"))
            if extra:
                sb.load(xero={"Contacts": extra_contacts(name, extra)})
            sandboxes[name] = sb
        home.mkdir(parents=True, exist_ok=True)
        defaults = f'[defaults]\nlimits_store = "{limits_store}"\n' if limits_store else ""
        (home / "recon.toml").write_text(defaults + "".join(profile_table(n, sb, (policies or {}).get(n, "demo"))
                                                            for n, sb in sandboxes.items()))
        for name in sandboxes:
            state = home / "clients" / name / "state.sqlite"
            state.parent.mkdir(parents=True, exist_ok=True)
            reset_state(state, "demo")
        yield sandboxes
