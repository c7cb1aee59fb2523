"""`recon app` end to end: a real `recon sandbox`, a reconcile through the emulators, the app started by the
command line, and headless chromium clicking in it as an accountant would. The store must hold exactly the
two decisions made, with the user's name, and the sync applies the approved one only.

Also: the pages list the runs, show the differences in words and the audit report of a finished run; hostile
text (a `<script>` and terminal escapes in a supplier's name) stays text; a decision without the page's token,
for another plan or from a foreign Host is refused and records nothing.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from conftest import clean_env
from recon.store import Store
from served import ROOT, recon, recon_sandbox

pytestmark = pytest.mark.browser
APPROVE = "Southern Alps Timber Ltd"  # demo case: phone changed in Xero only -> update in Precoro
REJECT = "Coastal Packaging Ltd"  # demo case: email changed in Precoro only -> update in Xero
HOSTILE = "<script>alert(1)</script> \x1b[31mRed Ltd\x1b[0m"
RUN = "app-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def recon_app(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "recon.cli", "app", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            proc.kill()
            raise AssertionError("recon app did not start: " + proc.stderr.read())
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("app") / "data"
    env = clean_env(RECON_DATA_DIR=str(data), USER="ana")
    with recon_sandbox(env) as urls:
        loaded = httpx.post(f"{urls['precoro']}/_sandbox/load", timeout=10,
                            json={"suppliers": [{"id": 9901, "name": HOSTILE, "uniqueCode": "HOSTILE-1"}]})
        assert loaded.status_code < 300, loaded.text
        reports = data / "profiles" / "sandbox" / "reports"
        made = recon("reconcile", "--objects", "supplier", "--out", str(reports / RUN), env=env)
        assert made.returncode == 0, made.stderr
        with recon_app(env) as url:
            yield {"env": env, "url": url, "state": data / "profiles" / "sandbox" / "state.sqlite",
                   "folder": reports / RUN, "urls": urls}




@pytest.fixture
def page(browser: Any, world: dict[str, Any]) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: problems.append(f"request: {r.url}") if not r.url.startswith(world["url"]) else None)
    yield page
    page.close()
    assert problems == [], problems


def decisions(world: dict[str, Any]) -> list[tuple[str, str, str]]:
    plan = json.loads((world["folder"] / "plan.json").read_text())
    labels = {a["id"]: a["label"] for a in plan["actions"]}
    with Store(world["state"]) as store:
        return [(labels[d.action_id], d.verdict, d.by) for d in store.decisions(plan["fingerprint"])]


def test_approve_one_reject_another_and_the_store_holds_exactly_those(page: Any, world: dict[str, Any]) -> None:
    page.goto(world["url"] + "/")
    page.get_by_role("link", name="approve").first.click()
    page.wait_for_url(f"**/runs/{RUN}/approve")
    grid = page.locator("#t-grid")
    row = grid.locator("tr[data-id]", has_text=APPROVE)
    row.get_by_role("button", name="Approve").click()
    page.wait_for_function("r => r.getAttribute('data-state') === 'approve'", arg=row.element_handle())
    other = grid.locator("tr[data-id]", has_text=REJECT)
    other.get_by_role("button", name="Reject").click()
    page.wait_for_function("r => r.getAttribute('data-state') === 'reject'", arg=other.element_handle())
    assert row.locator("td.state").inner_text().startswith("Approved by ana, ")
    assert other.locator("td.state").inner_text().startswith("Rejected by ana, ")
    assert decisions(world) == [(APPROVE, "approve", "ana"), (REJECT, "reject", "ana")]
    # a reload shows the store's state, not the page's
    page.reload()
    assert grid.locator("tr[data-state=approve]").count() == 1 and grid.locator("tr[data-state=reject]").count() == 1


def test_filters_and_before_after_on_demand(page: Any, world: dict[str, Any]) -> None:
    page.goto(f"{world['url']}/runs/{RUN}/approve")
    rows = page.locator("#t-grid tr[data-id]")
    total = rows.count()
    page.select_option("select[data-filter=direction]", "to_xero")
    shown = page.locator("#t-grid tr[data-id]:not([hidden])")
    assert 0 < shown.count() < total
    assert all(d == "to_xero" for d in shown.evaluate_all("rs => rs.map(r => r.dataset.direction)"))
    page.select_option("select[data-filter=direction]", "")
    page.fill("input[data-filter=text]", APPROVE)
    assert shown.count() == 1
    shown.get_by_role("button", name="Before/after").click()
    assert "phone" in page.locator("#t-grid tr.detail-row").inner_text()


def test_hostile_text_stays_text_in_every_page(page: Any, world: dict[str, Any]) -> None:
    for path in (f"/runs/{RUN}", f"/runs/{RUN}/approve"):
        page.goto(world["url"] + path)
        assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
        scripts = page.locator("script").evaluate_all("ss => ss.map(s => s.textContent.includes('alert(1)'))")
        assert scripts and not any(scripts)  # only the app's own scripts: the name never became one


def test_the_differences_page_speaks_an_accountants_words(page: Any, world: dict[str, Any]) -> None:
    page.goto(f"{world['url']}/runs/{RUN}")
    text = page.locator("#t-differences").inner_text()
    assert "Changed in Xero" in text and "Xero → Precoro" in text and "only_in_xero" not in text


@pytest.mark.parametrize("case", ["no token", "other plan", "foreign host", "unknown action"])
def test_a_forged_or_stale_decision_records_nothing(world: dict[str, Any], case: str) -> None:
    before = decisions(world)
    page = httpx.get(f"{world['url']}/runs/{RUN}/approve", timeout=10).text
    token = page.split('name="recon-token" content="')[1].split('"')[0]
    plan = json.loads((world["folder"] / "plan.json").read_text())
    body = {"plan": plan["fingerprint"], "ids": [plan["actions"][0]["id"]], "verdict": "approve"}
    headers = {"X-Recon-Token": token}
    if case == "no token":
        headers = {}
    elif case == "other plan":
        body["plan"] = "0" * 32
    elif case == "foreign host":
        headers["Host"] = "evil.example"
    else:
        body["ids"] = ["not-an-action"]
    reply = httpx.post(f"{world['url']}/runs/{RUN}/decisions", json=body, headers=headers, timeout=10)
    assert reply.status_code in (400, 403, 409)
    assert decisions(world) == before


def test_the_sync_applies_what_the_app_approved_and_the_report_says_who(page: Any, world: dict[str, Any]) -> None:
    done = recon("run", "sync.ipynb", "-p", "run_id", RUN, env=world["env"])
    assert done.returncode in (0, 1), done.stderr[-2000:]
    outcome = json.loads((world["folder"] / "outcome.json").read_text())
    plan = {a["id"]: a["label"] for a in json.loads((world["folder"] / "plan.json").read_text())["actions"]}
    applied = [plan[r["action_id"]] for r in outcome["results"] if r["status"] == "applied"]
    assert applied == [APPROVE] and outcome["applied_by"] == "ana"
    again = recon("reconcile", "--objects", "supplier", "--out", str(world["folder"].parent / "app-2"), env=world["env"])
    assert again.returncode == 0, again.stderr
    labels = (world["folder"].parent / "app-2" / "differences.csv").read_text()
    assert APPROVE not in labels and REJECT in labels  # applied once: no longer differs; rejected: still does
    page.goto(f"{world['url']}/runs/{RUN}/report")
    assert page.locator("#applied-by").inner_text().startswith("Applied by ana.")
    rejected = page.locator("#t-actions tr", has_text=REJECT).first.inner_text()
    assert "Skipped" in rejected and "rejected by ana" in rejected


@pytest.mark.parametrize("argv, profile, port", [
    (["app"], None, 8765), (["app", "--port", "9001"], None, 9001), (["app", "--profile", "acme"], "acme", 8765),
    (["--profile", "books", "app", "--port", "1"], "books", 1),
])
def test_recon_app_takes_a_port_and_a_profile(argv: list[str], profile: str | None, port: int) -> None:
    from recon.cli import build_parser

    args = build_parser().parse_args(argv)
    assert (args.command, args.profile, args.port) == ("app", profile, port)


def test_recon_app_for_an_unknown_profile_is_one_clear_line(tmp_path: Path) -> None:
    done = recon("app", "--profile", "nosuch", env=clean_env(RECON_DATA_DIR=str(tmp_path)))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "unknown profile 'nosuch'" in done.stderr
