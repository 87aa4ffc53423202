#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: headless
# Chromium for the browser tests, w3m and lynx for the text-mode browser
# tests, nginx and HAProxy for the reverse-proxy tests, npm for the tools
# the tests fetch from npm (Lighthouse among them). Does nothing when they are
# already there. redis-server and PostgreSQL for the multi-instance tests
# (each test starts its own on a loopback port; none runs as a service).
# xmllint (libxml2-utils) validates the sitemaps and Atom feeds against their
# schemas (testdata/schemas).
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v w3m >/dev/null 2>&1 || need+=(w3m)
command -v lynx >/dev/null 2>&1 || need+=(lynx)
# npm (and Node) for the test tools fetched from npm: Lighthouse (Node 18.16
# or later; Debian 12 has 18.19), the Nu Html Checker, crawler corpora.
command -v npm >/dev/null 2>&1 || need+=(npm)
# nginx lives in /usr/sbin, which a non-root PATH often lacks.
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || need+=(nginx)
{ command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; } || need+=(haproxy)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel) # Redis failover tests (e2e/cluster: a primary, a replica, three sentinels)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing test dependencies: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
