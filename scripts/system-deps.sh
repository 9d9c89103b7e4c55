#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing (a fresh machine has none of them):
#   chromium   - the browser tests drive Debian's Chromium through Playwright (never a downloaded browser)
#   strace     - the local-tier test proves zero network syscalls
#   postgresql - the team profile is tested against a real PostgreSQL
#   git        - the repository source and the churn/CLS measurements
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v git >/dev/null 2>&1 || need+=(git)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
