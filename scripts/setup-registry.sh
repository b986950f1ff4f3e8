#!/usr/bin/env bash
# Prepare this machine for tug's image tests and pull benchmark: Debian's
# docker-registry (started per test on 127.0.0.1, never as a service),
# htpasswd (basic-auth registry), zstd (zstd layers), skopeo (benchmark peer),
# openssl (the token server's key pair) and a static busybox (test rootfs).
#
# Idempotent and fast when everything is there. Exits 0 without doing anything
# when it cannot work here (not Linux, not root, no apt-get): the registry
# tests then skip with a reason, or fail when TUG_REQUIRE_ISOLATION=1.
set -uo pipefail

log() { echo "setup-registry: $*"; }
die() { echo "setup-registry: error: $*" >&2; exit 1; }

if [ "$(uname -s)" != "Linux" ]; then
  log "not Linux ($(uname -s)); nothing to do, the registry tests will skip"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  log "not root (uid $(id -u)); cannot install packages, the registry tests will skip"
  exit 0
fi

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for pkg in docker-registry apache2-utils zstd skopeo openssl busybox-static; do
  pkg_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  log "all packages present"
else
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "could not install ${missing[*]}"
fi

# The package ships a systemd unit listening on :5000 on all interfaces; the
# tests start their own registries, so a running service is only in the way.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  log "stopping the packaged docker-registry service (tests start their own)"
  systemctl stop docker-registry >/dev/null 2>&1 || true
  systemctl disable docker-registry >/dev/null 2>&1 || true
fi

[ -x /usr/bin/docker-registry ] || die "/usr/bin/docker-registry missing after install"
log "ready: $(/usr/bin/docker-registry --version 2>/dev/null | head -n1)"
