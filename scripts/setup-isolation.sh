#!/usr/bin/env bash
# Prepare this machine for tug's container-isolation tests and benchmarks:
#   runc            the OCI runtime tug drives (crun 1.8.1 refuses hybrid cgroups)
#   tini            its tini-static is bind-mounted as the init of `init: true`
#   iproute2        ip (bridges, veths, network namespaces, `ip -batch`)
#   iptables        forwarding and outbound NAT rules for tug's bridges
#   nftables        nft: published ports forwarded by the kernel (DNAT), in a table of tug's own
#   busybox-static  the workload of the tests (sh, httpd, nslookup, ... in one static file)
#   gcc, libc6-dev  compile tug's per-container shim (a ~20 kB static C program)
#   wrk             the HTTP load generator of the proxy benchmark (optional)
#
# Idempotent and fast when everything is already there. Exits 0 without doing
# anything when it cannot work here (not Linux, not root): the isolation tests
# then skip with a reason (or fail under TUG_REQUIRE_ISOLATION=1).
set -uo pipefail

log() { echo "setup-isolation: $*"; }
die() { echo "setup-isolation: error: $*" >&2; exit 1; }

if [ "$(uname -s)" != "Linux" ]; then
  log "not Linux ($(uname -s)); nothing to do, the isolation tests will skip"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  log "not root (uid $(id -u)); cannot install packages, the isolation tests will skip"
  exit 0
fi

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
for pkg in runc tini iproute2 iptables nftables busybox-static gcc libc6-dev; do
  pkg_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  apt_install "${missing[@]}" || die "could not install ${missing[*]}"
else
  log "runc, tini, iproute2, iptables, nftables, busybox-static, gcc and libc6-dev already installed"
fi
# The proxy benchmark's load generator. Optional: the benchmark has its own fallback.
if ! pkg_installed wrk; then
  apt_install wrk || log "warning: could not install wrk; the proxy benchmark uses its built-in load generator"
fi

# Bridges and veths are kernel modules on most distributions; built in on others.
for module in bridge veth br_netfilter overlay; do
  if [ ! -d "/sys/module/$module" ] && command -v modprobe >/dev/null 2>&1; then
    modprobe "$module" 2>/dev/null || log "note: could not load kernel module $module (it may be built in)"
  fi
done

log "ready: $(runc --version | head -n 1), $(ip -V), $(iptables --version), $(nft --version)"
