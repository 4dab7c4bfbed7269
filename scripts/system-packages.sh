#!/usr/bin/env bash
# Install the Debian packages given as arguments when any is missing.
# As root this runs apt-get; otherwise it names the command to run and stops.
set -euo pipefail

declare -A probe=(
    [bind9]=/usr/sbin/named
    [bind9-dnsutils]=/usr/bin/dig
    [ddclient]=/usr/bin/ddclient
    [inadyn]=/usr/sbin/inadyn
    [wrk]=/usr/bin/wrk
    [chromium]=/usr/bin/chromium
    [nodejs]=/usr/bin/node
)

missing=()
for package in "$@"; do
    path=${probe[$package]:-}
    if [[ -n $path && -x $path ]]; then
        continue
    fi
    if [[ -z $path ]] && dpkg -s "$package" >/dev/null 2>&1; then
        continue
    fi
    missing+=("$package")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
