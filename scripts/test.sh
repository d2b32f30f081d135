#!/usr/bin/env bash
# Every test, from a fresh clone: installs what the tests need, then typecheck, lint and vitest.
# Debian packages: influxdb (influxd 1.6), mosquitto + clients, chromium, docker-compose (validates
# docker-compose.yml without an engine), prometheus (promtool and the server, for the rules and
# scrape tests), poppler-utils (pdftotext and pdftoppm read the reports' PDFs back), redis-server
# (the broker cluster tests, test/cluster/); skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in influxdb mosquitto mosquitto-clients chromium docker-compose prometheus poppler-utils redis-server; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  echo "installing Debian packages: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

npm ci --no-audit --no-fund --loglevel=error
npm test
