#!/usr/bin/env bash
# Installs the Debian packages the tests need that are missing; does nothing (and needs nothing) when none is.
#   scripts/system-packages.sh           the packages in PACKAGES below
#   scripts/system-packages.sh NAME...   these instead
# `make test` runs it before pytest. Only when something is missing does it need root and apt-get; it runs
# `apt-get update` first only then. Recommended packages are not installed (docker-compose recommends the
# Docker engine, which nothing here needs): list whatever else a package needs in PACKAGES too.
set -euo pipefail

# One package a word. docker-compose: `docker-compose config` validates docker-compose.yml without an engine
# (tests/unit/test_deployment.py). chromium, chromium-driver: the page's browser tests drive a headless Chromium
# through selenium (tests/integration/test_page.py).
PACKAGES="docker-compose chromium chromium-driver"

say() { echo "scripts/system-packages.sh: $*" >&2; }

if [ "$#" -gt 0 ]; then
    wanted=("$@")
else
    read -r -a wanted <<< "$PACKAGES"
fi

missing=()
for package in "${wanted[@]}"; do
    status=$(dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "missing Debian packages: ${missing[*]}; this system has no apt-get: install their equivalents by hand"
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}; installing them needs root: sudo $0 ${missing[*]}"
    exit 1
fi

say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
