"""The audit report: built from run-folder files alone, everything escaped, no secret, deterministic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sample_run
from recon import report
from recon.reconcile.model import NO_CHANGES, Plan
from recon.report_html import esc, table


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_run.build(tmp_path_factory.mktemp("report") / "run")


@pytest.fixture(scope="module")
def html(folder: Path) -> str:
    return report.render(report.load_run(folder))


def rows(html: str, table_id: str) -> list[str]:
    """The body rows of one report table, as raw HTML."""
    inner = re.compile(r'<table class="nested">(?:(?!<table).)*?</table>', re.S)
    while inner.search(html):  # an action's nested tables (fields, document lines) are not rows of the report
        html = inner.sub("", html)
    m = re.search(rf'<table class="recon-table" id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert m, f"table {table_id} missing"
    return re.findall(r"<tr.*?</tr>", m.group(1), re.S)


@pytest.mark.parametrize("table_id, expected", [
    ("t-parameters", 4), ("t-fetched", 2), ("t-settings-check", 4), ("t-summary", 2), ("t-differences", 6),
    ("t-decisions", 6), ("t-actions", 5), ("t-failures", 2), ("t-rounding", 1), ("t-integrity", 3),
])
def test_every_section_shows_all_its_rows(html: str, table_id: str, expected: int) -> None:
    assert len(rows(html, table_id)) == expected


@pytest.mark.parametrize("needle", [
    # who, when (in the organisation's timezone, to the second), against what
    "Run by</dt><dd>alice", "Started</dt><dd>2026-03-01 22:05:07 NZDT", "Finished</dt><dd>2026-03-01 22:06:00 NZDT",
    "Organisation</dt><dd>Demo Org Ltd", "Company</dt><dd>Demo Company", "Times in</dt><dd>Pacific/Auckland",
    "Xero organisation</dt><dd>Demo Org Ltd", "Precoro company</dt><dd>Demo Company",
    "profile default: Xero https://api.xero.com, Precoro https://api.precoro.com",
    "6 differences; 5 proposed actions; 2 applied, 1 refused, 1 failed.",
    "The rounding settings of both systems agree.", "The approvals chain is intact.",
    "1 decision(s) are not bound to this plan", "Applied by bob.",
    # what became of each action, with the words of its status and who approved it
    "Xero refused: Name is required &lt;ValidationException&gt;", "target changed since the plan was made",
    'Not applied<br><span class="note">rejected</span>', "new supplier &lt;ok&gt;", "send unit amounts at 4 decimals",
    '<td class="changed"><del>Acme</del> <span class="arrow">→</span> Acme Ltd</td>', "Update supplier in Precoro",
    '<td class="nw">policy “demo”</td>', '<td class="nw">bob</td>',
    # the differences in words, the changed side marked, amounts with their currency
    "Changed in Xero", "Edited in Precoro, where it is read-only: Xero&#x27;s value goes back",
    '<td class="changed">Acme Ltd</td>', "Only in Precoro: to be created in Xero", "Xero rounds tax per line: 0.01",
    '<td class="num" data-sort="100.01">NZD 100.01</td>', "Differences per object and kind",
])
def test_the_report_tells_who_what_when_and_why(html: str, needle: str) -> None:
    assert needle in html


def test_a_hostile_supplier_name_is_shown_as_text(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert html.count("<script>") == 1  # the report's own sorting/filtering script, nothing else


def test_no_secret_reaches_the_report(folder: Path, html: str) -> None:
    for secret in ("xero-secret-value-9f3a", "precoro-token-value-77c1", "tok-leak-1", "sandbox-secret"):
        assert secret not in html
        # snapshot.json is the planted input (a token in the fetch metadata); what recon writes stays clean
        for name in ("run.json", "approvals.jsonl", "outcome.json", "integrity.json"):
            assert secret not in (folder / name).read_text(), name


def test_the_report_is_deterministic(tmp_path: Path) -> None:
    a = report.render(report.load_run(sample_run.build(tmp_path / "a" / "20260301-090507-beef")))
    b = report.render(report.load_run(sample_run.build(tmp_path / "b" / "20260301-090507-beef")))
    assert a == b


def test_it_loads_nothing_from_anywhere(html: str) -> None:
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<link" not in html


def test_a_broken_chain_and_missing_outcome_are_said_plainly(tmp_path: Path) -> None:
    data = report.load_run(sample_run.build(tmp_path / "r", with_outcome=False, integrity_ok=False))
    html = report.render(data)
    assert data.missing == ("outcome.json",)
    assert "The approvals chain is BROKEN. row 4: hash does not match its content" in html
    assert "Not in this run folder: outcome.json." in html
    actions = rows(html, "t-actions")
    assert len(actions) == 5 and sum("approved, not applied in this run" in r for r in actions) == 4
    assert 'id="t-failures"' not in html  # nothing failed: nothing was applied


def test_nothing_to_do_uses_reconciles_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "plan.json").write_text(Plan(run_id="r0", kinds=("supplier",), actions=()).to_json())
    data = report.load_run(folder)
    assert data.message == NO_CHANGES
    html = report.render(data)
    assert f'id="message">{NO_CHANGES}' in html and "The approvals chain was not checked" in html


@pytest.mark.parametrize("value, shown", [
    (None, ""), (float("nan"), ""), (True, "yes"), ({"b": 1, "a": "<x>"}, '{&quot;a&quot;: &quot;&lt;x&gt;&quot;, &quot;b&quot;: 1}'),
    ("a\"b'c&d", "a&quot;b&#x27;c&amp;d"),
])
def test_values_are_escaped_text(value: object, shown: str) -> None:
    assert esc(value) == shown


def test_numeric_columns_sort_as_numbers() -> None:
    import pandas as pd
    from decimal import Decimal

    out = table(pd.DataFrame({"n": [Decimal("10.50"), Decimal("9")], "t": ["a", "b"]}), "t-x")
    assert '<th scope="col" data-type="num" class="num">' in out and '<th scope="col" data-type="text">' in out
    assert '<td class="num" data-sort="10.50">10.50</td>' in out


@pytest.mark.parametrize("rows, filter_box", [(3, False), (12, False), (13, True)])
def test_only_a_long_table_has_a_filter(rows: int, filter_box: bool) -> None:
    import pandas as pd

    assert ('class="recon-filter"' in table(pd.DataFrame({"n": range(rows)}), "t-x")) is filter_box


def test_the_report_reads_top_to_bottom(html: str) -> None:
    order = [html.index(f'id="{section}"') for section in ("message", "changed", "integrity-verdict", "actions",
                                                           "differences", "rounding", "raw-facts")]
    assert order == sorted(order)
    assert html.count('class="recon-filter"') == 0  # the sample's tables are all short


def test_the_report_prints_on_a4_and_shows_the_keyboard_focus(html: str) -> None:
    assert "@page{size:A4" in html and ":focus-visible{outline:3px solid" in html
    assert "beforeprint" in html  # the folded raw facts open when printed


def test_an_empty_or_newline_only_rounding_file_is_no_analysis(tmp_path: Path) -> None:
    from recon.run_folder import ROUNDING, RunFolder

    folder = sample_run.build(tmp_path / "r")
    for content in ("", "\n", "\r\n \n"):
        (folder / ROUNDING).write_text(content)
        assert RunFolder(folder).rounding() is None
        assert "t-rounding" in report.render(report.load_run(folder))


def test_a_missing_run_folder_is_a_clear_error(tmp_path: Path) -> None:
    from recon.errors import ConfigError

    with pytest.raises(ConfigError, match="no run folder at"):
        report.load_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no run"):
        report.load_run(tmp_path / "empty")


def test_chart_legends_wrap_inside_the_picture() -> None:
    from recon.report_html import bar_chart

    names = ["only_in_precoro", "only_in_xero", "mismatch", "conflict", "blocked_edit", "rounding", "match_candidate"]
    svg = bar_chart(["supplier", "bill"], {n: [1, 2] for n in names}, "Differences per kind")
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))
    for x, name in re.findall(r'<text x="(\d+)" y="\d+">([a-z_]+)</text>', svg):
        assert int(x) + 7 * len(name) <= width, name
    assert all(f">{n}</text>" in svg for n in names)


@pytest.mark.parametrize(
    "series, segments, totals",
    [
        ({"mismatch": [3, 0], "conflict": [1, 0], "rounding": [0, 2]}, 3, ["4", "2"]),
        ({"mismatch": [0, 0], "rounding": [0, 5]}, 1, ["0", "5"]),
    ],
)
def test_stacked_chart_draws_one_bar_per_object_and_no_zero_segments(series, segments, totals) -> None:
    from recon.report_html import bar_chart

    svg = bar_chart(["supplier", "bill"], series, "Differences per object and kind", stacked=True)
    drawn = re.findall(r"<rect x=\"[\d.]+\" y=\"\d+\" width=\"[\d.]+\" height=\"\d+\" fill=[^>]*><title>([^<]+)</title>", svg)
    assert len(drawn) == segments
    assert not any(t.endswith(": 0") for t in drawn)
    assert re.findall(r'<text x="[\d.]+" y="\d+">(\d+)</text>', svg) == totals
