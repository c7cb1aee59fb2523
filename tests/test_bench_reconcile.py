"""The reconcile benchmark at a small scale: its generated data is canonical and deterministic, and a run reports
every figure docs/benchmarks.md records (no timing is asserted)."""

import pandas as pd

from recon import schema
from recon.bench import reconcile as bench
from recon.reconcile import reconcile
from recon.snapshot import Snapshot


def test_generated_frames_are_canonical_and_deterministic():
    sup, base = bench.suppliers(300)
    docs = bench.documents(2000)
    for (system, frame), df in {**sup.frames, **docs.frames, ("baseline", "supplier"): base["supplier"]}.items():
        assert list(df.columns) == schema.columns(frame), (system, frame)
        pd.testing.assert_frame_equal(df, schema.conform(df, frame), check_dtype=True)
    again, _ = bench.suppliers(300)
    pd.testing.assert_frame_equal(sup.frame("xero", "supplier"), again.frame("xero", "supplier"))


def test_a_small_run_reports_every_figure():
    out = bench.measure(n_suppliers=400, n_lines=4000)
    assert out["suppliers"] == 400 and out["lines"] == 4000
    assert {"only_in_precoro", "only_in_xero", "mismatch", "rounding"} <= set(out["differences_by_kind"])
    assert {"equal", "rounding"} <= set(out["rounding_classes"])
    assert out["datacompy"]["recon_field_differences"] > 0 and out["datacompy"]["datacompy_mismatched_rows"] > 0
    assert out["peak_rss_mib"] > 0 and out["actions"] > 0
    docs = out["datacompy_documents"]
    assert docs["datacompy_mismatched_line_rows"] > 0 and docs["recon_document_differences"] > 0
    assert docs["speedup_documents"] > 0 and set(out["goals"]) >= {"speedup_documents >= 1.0", "peak_rss_mib <= 1024"}
    assert out["representations"]["same_results"] is True  # decimal128 and int64 line maths agree exactly
    product = out["product_path"]
    assert product["same_results"] is True and (product["differences"], product["actions"]) == (out["differences"], out["actions"])
    assert product["peak_rss_mib"] >= product["rss_mib_holding_the_frames"] > 0 and product["load_seconds"] >= 0
    assert "product_path.peak_rss_mib <= 1024" in out["goals"]


def test_the_product_path_reconciles_what_was_saved_and_its_store_matters(tmp_path):
    sup, base = bench.suppliers(300)
    both = Snapshot(frames={**sup.frames, **bench.documents(2000).frames}, meta=bench.META)
    found = bench._results(reconcile(both, kinds=bench.KINDS, baselines=base, run_id="bench"))
    bench.save_as_the_product(both, base, tmp_path / "kept")
    bench.save_as_the_product(both, {}, tmp_path / "no_baselines")
    got = bench.product_path(str(tmp_path / "kept"))
    assert {k: got[k] for k in found} == found
    # the comparison sees the baselines the store gives back: without them the plan is another one
    assert bench.product_path(str(tmp_path / "no_baselines"))["fingerprint"] != found["fingerprint"]


def test_the_dispatcher_lists_every_benchmark_module_and_refuses_unknown_names(capsys):
    from recon.bench.__main__ import main

    assert main(["nope"]) == 2
    assert "available: apply, fetch, firm, load, reconcile, views" in capsys.readouterr().err


def test_the_reconcile_benchmark_runs_from_the_dispatcher_with_sizes(capsys):
    from recon.bench.__main__ import main

    assert main(["reconcile", "--", "--suppliers", "200", "--lines", "1000"]) == 0
    out = capsys.readouterr().out
    figures = __import__("json").loads(out[out.index("{"):])
    assert (figures["suppliers"], figures["lines"]) == (200, 1000)


def test_the_supplier_part_runs_alone(capsys):
    from recon.bench.__main__ import main

    assert main(["reconcile", "--", "--suppliers", "300", "--only", "suppliers"]) == 0
    out = capsys.readouterr().out
    figures = __import__("json").loads(out[out.index("{"):])
    assert figures["only"] == "suppliers" and "lines" not in figures and "datacompy_documents" not in figures
    assert figures["supplier_differences"] > 0 and figures["supplier_actions"] > 0
    assert set(figures["goals"]) == {"speedup_comparison >= 5", "speedup_full_reconcile >= 1.5"}
    assert figures["datacompy"]["recon_field_differences"] > 0


def test_the_emulator_load_benchmark_loads_a_small_set(capsys):
    from recon.bench.__main__ import main

    assert main(["load", "--", "--suppliers", "50", "--lines", "200"]) == 0
    out = capsys.readouterr().out
    figures = __import__("json").loads(out[out.index("{"):])
    assert (figures["suppliers"], figures["lines"]) == (50, 200)
    # each side is generated in the process that loads it: the wall total covers either process's whole work
    assert set(figures["generate_seconds"]) == {"xero", "precoro"}
    assert figures["total_seconds"] >= max(figures["xero_process_seconds"], figures["precoro_process_seconds"]) - 0.1
    assert figures["sequential_seconds"] >= figures["xero_process_seconds"]


def test_a_child_reports_its_own_peak_not_its_parents():
    # ru_maxrss of a spawned child starts at the parent's resident size: the bench's product-path child reported
    # the parent's ~1 GiB as its own peak. The child here holds little; the parent holds 400 MiB more while it spawns.
    import numpy as np

    held = np.ones(400 * 2**20 // 8)
    parent = bench._peak_mib()
    child = bench._in_child(bench._peak_mib)
    assert held.sum() > 0 and parent > 400
    assert child < parent - 300, (child, parent)
