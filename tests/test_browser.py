"""The exported audit report in Debian's headless chromium: tables render, sort and filter by clicking, no
script errors, a hostile value stays text, and a screenshot is kept beside the report.

Skipped (with the reason) only when chromium or playwright is truly unavailable; `make test` installs
chromium first (tools/ensure-test-packages). Playwright drives the system chromium: never `playwright install`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import sample_run
from recon import runner

pytestmark = pytest.mark.browser
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "audit_report.ipynb"




@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real export: audit_report.ipynb run by the runner over a run folder, into audit.html."""
    folder = sample_run.build(tmp_path_factory.mktemp("browser") / "reports" / "20260301-090507-beef")
    return runner.run_notebook(NOTEBOOK, {"run_id": folder.name}, reports_dir=folder.parent).html


@pytest.fixture
def page(browser: Any, report: Path) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: problems.append(f"request: {r.url}") if not r.url.startswith(("file:", "data:")) else None)
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    yield page
    page.close()
    assert problems == [], problems


def column(page: Any, table: str, index: int) -> list[str]:
    return page.eval_on_selector_all(f"#{table} tbody tr:not([hidden])",
                                     f"rows => rows.map(r => r.cells[{index}].textContent)")


def header(page: Any, table: str, name: str) -> Any:
    return page.locator(f"#{table} thead th button", has_text=name).first


def open_raw_facts(page: Any) -> None:
    page.locator("#raw-facts > summary").click()


@pytest.mark.parametrize("table, rows, raw", [("t-differences", 6, False), ("t-actions", 5, False),
                                              ("t-failures", 2, False), ("t-rounding", 1, False),
                                              ("t-decisions", 6, True), ("t-fetched", 2, True)])
def test_tables_render_every_row(page: Any, table: str, rows: int, raw: bool) -> None:
    assert page.locator(f"#{table} > tbody > tr").count() == rows
    assert page.locator(f"#{table}").is_visible() is not raw  # the raw facts are folded away
    if raw:
        open_raw_facts(page)
        assert page.locator(f"#{table}").is_visible()


def test_clicking_a_header_sorts_the_rows(page: Any) -> None:
    labels = column(page, "t-differences", 1)
    header(page, "t-differences", "Record").click()
    assert column(page, "t-differences", 1) == sorted(labels, key=str.lower)
    assert page.locator("#t-differences thead th").nth(1).get_attribute("aria-sort") == "ascending"
    header(page, "t-differences", "Record").click()
    assert column(page, "t-differences", 1) == sorted(labels, key=str.lower, reverse=True)


def test_numbers_sort_as_numbers(page: Any) -> None:
    open_raw_facts(page)
    header(page, "t-fetched", "Precoro").click()
    values = [int(v or 0) for v in column(page, "t-fetched", 1)]
    assert values == sorted(values)


#: a long table of ids and amounts: ids sort naturally (2 before 10), amounts by value whatever their currency
LONG = [{"id": str(n), "amount": f"NZD {n * 997 % 1013:,}.50", "name": f"supplier {n}"} for n in range(1, 16)]


@pytest.fixture
def long_table(browser: Any) -> Iterator[Any]:
    import pandas as pd

    from recon.report_html import CSS, SCRIPT, table

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(f'<div class="recon-report"><style>{CSS}</style>{table(pd.DataFrame(LONG), "t-long")}'
                     f"<script>{SCRIPT}</script></div>")
    yield page
    page.close()
    assert errors == []


def test_ids_sort_naturally_and_amounts_by_value(long_table: Any) -> None:
    header(long_table, "t-long", "id").click()
    assert column(long_table, "t-long", 0) == [str(n) for n in range(1, 16)]
    header(long_table, "t-long", "amount").click()
    amounts = [float(v.split(" ")[1].replace(",", "")) for v in column(long_table, "t-long", 1)]
    assert amounts == sorted(amounts) and len(set(amounts)) == 15


def test_typing_in_the_one_filter_of_a_long_table_hides_other_rows(long_table: Any) -> None:
    assert long_table.locator("input.recon-filter").count() == 1
    box = long_table.locator("input.recon-filter")
    box.fill("supplier 1")  # 1, 10..15
    assert column(long_table, "t-long", 0) == ["1", "10", "11", "12", "13", "14", "15"]
    assert long_table.locator(".recon-shown").inner_text() == "7 of 15 rows"
    box.fill("")
    assert len(column(long_table, "t-long", 0)) == 15


def test_keyboard_focus_is_visible(page: Any) -> None:
    page.locator("#t-differences thead th button").first.focus()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                            "getComputedStyle(document.activeElement).outlineWidth")
    assert outline == "solid 3px", outline


def test_printed_on_a4_the_tables_fit_the_page(page: Any) -> None:
    page.set_viewport_size({"width": 718, "height": 1000})  # A4 less the print margins, at 96 dpi
    page.emulate_media(media="print")
    assert page.locator("#t-differences").evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 1")
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000


def test_a_hostile_name_is_shown_as_text_and_a_screenshot_is_kept(page: Any, report: Path) -> None:
    assert page.get_by_text("<script>alert(1)</script>").count() >= 1
    shot = report.parent / "audit.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # the screenshots of the documentation are made by `make screenshots` (tools/screenshots.py), not here
