#!/usr/bin/env bash
# Start the Dagster UI on http://127.0.0.1:3000. With no source configured, write demo data first so the
# UI has something to show at first start.
set -euo pipefail
cd "$(dirname "$0")/.."
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/dagster_home}"
export CCP_HOME="${CCP_HOME:-$PWD/var}"
mkdir -p "$DAGSTER_HOME" "$CCP_HOME"
# A DAGSTER_HOME of your own still gets our instance settings (telemetry off, queue, warehouse pool).
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp dagster_home/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
has_claude=0
for d in ${CLAUDE_CONFIG_DIR:+${CLAUDE_CONFIG_DIR//,/ }} "$HOME/.claude" "$HOME/.config/claude"; do
  [ -d "$d/projects" ] && has_claude=1
done
if [ -z "${CLAUDE_CONFIG_DIR:-}${CCP_USAGE_LOG_DIR:-}${CCP_AGENTOS_DATA_DIR:-}${CCP_REPO_DIR:-}" ] && [ "$has_claude" = 0 ]; then
  demo="$CCP_HOME/demo"
  if [ ! -d "$demo/claude" ]; then
    echo "No source configured: writing demo data to $demo"
    .venv/bin/ccp demo-data --out "$demo" --days 7
  fi
  export CLAUDE_CONFIG_DIR="$demo/claude"
  [ -d "$demo/ccp" ] && export CCP_USAGE_LOG_DIR="$demo/ccp"
  [ -d "$demo/agentos" ] && export CCP_AGENTOS_DATA_DIR="$demo/agentos"
  [ -d "$demo/repo/.git" ] && export CCP_REPO_DIR="$demo/repo"
  if [ -z "${CCP_START_DATE:-}" ]; then
    export CCP_START_DATE="$(date -u -d '-30 days' +%Y-%m-%d)"
  fi
fi
echo "Dagster UI: http://127.0.0.1:${DAGSTER_PORT:-3000}  (DAGSTER_HOME=$DAGSTER_HOME, CCP_HOME=$CCP_HOME)"
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${DAGSTER_PORT:-3000}"
