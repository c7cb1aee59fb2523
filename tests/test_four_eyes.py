"""Four eyes (a profile's ``require_second_approver``): apply refuses an action approved by the person who
runs the apply, writes nothing of it, and says so; another person's approval, or a profile without the
setting, lets it through. Through the real connectors against both emulators; the outcome and the audit
report say who approved and who applied."""

from __future__ import annotations

import pytest

from recon import report
from recon.apply import apply_plan
from recon.approve import ApprovalModel
from recon.config import load_settings
from recon.errors import ConfigError
from recon.run_folder import RunFolder
from recon.store import Store
from test_apply_kit import sandbox_connectors, sandbox_settings, start_sandbox
from test_apply_sandbox import build_plan, suppliers

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
SOUTHERN = "Southern Alps Timber Ltd"


@pytest.fixture()
def sandbox():
    with start_sandbox() as sb:
        yield sb


@pytest.mark.parametrize("four_eyes, approver, status, written", [
    (True, "ana", "refused", False),  # ana approved it and ana applies: refused, nothing written
    (True, "bo", "applied", True),  # bo approved, ana applies: two people
    (False, "ana", "applied", True),  # the profile does not ask for it
])
def test_an_approver_cannot_apply_their_own_approval_when_the_profile_asks(sandbox, tmp_path, four_eyes, approver,
                                                                           status, written) -> None:
    plan = build_plan(sandbox, tmp_path)
    southern = next(a for a in plan.actions if a.label == SOUTHERN)
    with Store(tmp_path / "state.sqlite") as store:
        ApprovalModel(plan, store, approver, CLOCK).decide(southern.id, "approve", "checked")
        with sandbox_connectors(sandbox_settings(sandbox, tmp_path)) as conns:
            before = suppliers(conns[1], "precoro")[SOUTHERN]["phone"]
            outcome = apply_plan(plan, store, list(conns), user="ana", clock=CLOCK, progress=False,
                                 second_approver_required=four_eyes, out_dir=tmp_path / "run")
            after = suppliers(conns[1], "precoro")[SOUTHERN]["phone"]
        result = next(r for r in outcome.results if r.action_id == southern.id)
        assert (result.status, result.approved_by, outcome.applied_by) == (status, approver, "ana")
        assert (after != before) is written
        if status == "refused":
            assert "four eyes: approved by ana, who runs this apply" in result.message
            assert store.journal_state(plan.fingerprint).get(southern.id) is None  # nothing journalled either
    folder = RunFolder(tmp_path / "run")
    assert folder.outcome() == outcome  # outcome.json holds who applied and who approved each action


def test_the_report_says_who_approved_and_who_applied_under_four_eyes(tmp_path) -> None:
    import sample_run
    from recon.reconcile.model import Outcome

    folder = sample_run.build(tmp_path / "r")
    run = RunFolder(folder)
    old = run.outcome()
    run.write_outcome(Outcome(old.run_id, old.plan_fingerprint, old.results, applied_by="bob",
                              second_approver_required=True))
    html = report.render(report.load_run(folder))
    assert "Applied by bob. The profile requires a second approver: nobody applied their own approvals." in html
    assert '<td class="nw">alice</td>' in html and '<td class="nw">bob</td>' in html


@pytest.mark.parametrize("value, expected", [("true", True), ("false", False), ("1", True), ("no", False)])
def test_require_second_approver_is_a_profile_setting(tmp_path, value, expected) -> None:
    config = tmp_path / "recon.toml"
    quoted = value if value in ("true", "false") else f'"{value}"'
    config.write_text(f"[profile.acme]\nrequire_second_approver = {quoted}\n")
    assert load_settings("acme", env={"RECON_CONFIG": str(config)}).require_second_approver is expected


def test_a_bad_require_second_approver_is_one_clear_error(tmp_path) -> None:
    config = tmp_path / "recon.toml"
    config.write_text('[profile.acme]\nrequire_second_approver = "perhaps"\n')
    with pytest.raises(ConfigError, match="require_second_approver .* must be true or false, not 'perhaps'"):
        load_settings("acme", env={"RECON_CONFIG": str(config)})
