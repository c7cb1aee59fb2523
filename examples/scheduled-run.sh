#!/usr/bin/env bash
# One unattended recon run: sync under an explicit approval policy, then the audit report, both in
# reports/<run_id>/. Run from recon's directory (credentials in its recon.toml or the environment).
# Usage: examples/scheduled-run.sh [POLICY]     POLICY defaults to $RECON_POLICY, else xero_to_precoro_reference
set -euo pipefail
policy="${1:-${RECON_POLICY:-xero_to_precoro_reference}}"
run_id="$(date -u +%Y%m%d-%H%M%S)-sched"
recon run notebooks/sync.ipynb -p run_id "$run_id" -p policy "$policy"
recon run notebooks/audit_report.ipynb -p run_id "$run_id"
