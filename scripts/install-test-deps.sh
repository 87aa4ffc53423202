#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: headless
# Chromium for the browser tests, w3m and lynx for the text-mode browser
# tests, nginx and HAProxy for the reverse-proxy tests. Does nothing when they are
# already there.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v w3m >/dev/null 2>&1 || need+=(w3m)
command -v lynx >/dev/null 2>&1 || need+=(lynx)
# nginx lives in /usr/sbin, which a non-root PATH often lacks.
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || need+=(nginx)
{ command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; } || need+=(haproxy)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing test dependencies: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
