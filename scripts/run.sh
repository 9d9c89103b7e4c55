#!/usr/bin/env bash
# Start the Dagster UI on http://127.0.0.1:3000. When no source holds data (nothing configured, or only an
# empty ~/.claude/projects), write demo data first so the UI has something to show at first start; the
# daily partitions start at the first day with data (unless CCP_START_DATE is set).
set -euo pipefail
cd "$(dirname "$0")/.."
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/dagster_home}"
export CCP_HOME="${CCP_HOME:-$PWD/var}"
mkdir -p "$DAGSTER_HOME" "$CCP_HOME"
# A DAGSTER_HOME of your own still gets our instance settings (telemetry off, queue, warehouse pool).
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp dagster_home/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
# `export` lines: the demo's CLAUDE_CONFIG_DIR, CCP_* (when no source holds data) and CCP_START_DATE.
# A bad setting stops here with its one-line error (set -e on the assignment).
first_run="$(.venv/bin/ccp first-run-env)"
eval "$first_run"
echo "Dagster UI: http://127.0.0.1:${DAGSTER_PORT:-3000}  (DAGSTER_HOME=$DAGSTER_HOME, CCP_HOME=$CCP_HOME${CCP_START_DATE:+, partitions from $CCP_START_DATE})"
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${DAGSTER_PORT:-3000}"
