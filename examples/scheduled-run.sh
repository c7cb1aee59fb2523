#!/usr/bin/env bash
# One unattended recon run: sync under an explicit approval policy, then the audit report, both in the
# profile's run folder <reports>/<run_id>/. The profile (RECON_PROFILE, its recon.toml in RECON_CONFIG) says
# where the state and the run folders are, so this may run from any folder.
# Usage: examples/scheduled-run.sh [POLICY]     POLICY defaults to $RECON_POLICY, else xero_to_precoro_reference
set -euo pipefail
policy="${1:-${RECON_POLICY:-xero_to_precoro_reference}}"
run_id="$(date -u +%Y%m%d-%H%M%S)-sched"
recon run sync.ipynb -p run_id "$run_id" -p policy "$policy"
recon run audit_report.ipynb -p run_id "$run_id"
