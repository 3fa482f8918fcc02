#!/usr/bin/env bash
# Proves the README's commands on a fresh machine: builds a minimal Debian 12 root with debootstrap,
# installs in it only what a new machine of this kind has before any project runs, clones this
# repository into it and runs, as root inside chroot, each COMMAND in turn (default: make test, then
# make demo). Any failure fails the check with the command's last lines. This is what CI runs.
#
# usage: scripts/fresh_machine_check.sh [COMMAND ...]      (as root; also `make fresh-check`)
#   ADVNET_FRESH_DIR    where the root is built, outside the clone (default /var/tmp/advnet-fresh)
#   ADVNET_FRESH_CACHE  where the debootstrapped base is kept as a tarball between runs on the same
#                       machine (default /var/cache/advnet-fresh); rebuilt when missing. Only the
#                       machine's base packages are in it, never what the project installs.
#
# It clones the committed HEAD of this repository: uncommitted changes are not part of the check.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${ADVNET_FRESH_DIR:-/var/tmp/advnet-fresh}
cache=${ADVNET_FRESH_CACHE:-/var/cache/advnet-fresh}
suite=bookworm
# What a new machine of this kind has before any project runs (the rest is the project's to install).
base_packages=(make build-essential cmake ninja-build git ca-certificates python3 nodejs npm)
need_gb=12   # base ~1 GB, project packages ~2 GB, three build trees ~4 GB, data, runs
if (($# == 0)); then set -- "make test" "make demo"; fi

say() { printf 'fresh-check: %s\n' "$*"; }
die() { printf 'fresh-check: error: %s\n' "$*" >&2; exit 1; }
elapsed() { echo $(( $(date +%s) - $1 )); }
# Network steps are retried a bounded number of times, never skipped: a flaky mirror must not fail CI.
retry() {
  local n=1
  until "$@"; do
    ((n >= 3)) && return 1
    say "attempt $n of '$*' failed; retrying in $((n * 15)) s"
    sleep $((n * 15)); n=$((n + 1))
  done
}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, mount, chroot); CI runs as root"
command -v debootstrap >/dev/null || {
  say "installing debootstrap"
  retry apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 debootstrap >/dev/null ||
    { apt-get update -q >/dev/null && retry apt-get install -y -q --no-install-recommends debootstrap >/dev/null; } ||
    die "cannot install debootstrap"
}
case "$work/" in "$src"/*) die "ADVNET_FRESH_DIR ($work) must be outside the clone ($src)";; esac

root=$work/root
logs=$work/logs
# Everything mounted under the work folder, deepest first.
mounts_under() { findmnt -rn -o TARGET | awk -v w="$1/" 'index($0 "/", w) == 1' | sort -r; }
teardown() {
  local dir=$1 p
  [[ -d $dir ]] || return 0
  # Processes still running inside the root (a command killed at CI's limit) hold its mounts.
  for p in /proc/[0-9]*; do
    if [[ $(readlink "$p/root" 2>/dev/null) == "$dir" ]]; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
  local m
  while read -r m; do umount -l "$m" || true; done < <(mounts_under "$dir")
  if [[ -n $(mounts_under "$dir") ]]; then
    say "warning: $dir still has mounts; left in place"; return 0
  fi
  # --one-file-system: whatever is still mounted below is never descended into (never the host's /dev).
  rm -rf --one-file-system "$dir"
}
on_exit() { local rc=$?; teardown "$root"; teardown "$work/base-build"; exit $rc; }
trap on_exit EXIT
trap 'say "stopped by a signal"; exit 143' TERM INT HUP

# Stale roots and mounts of an earlier run that was killed.
teardown "$root"; teardown "$work/base-build"
mkdir -p "$work" "$cache" "$logs"
avail_gb=$(( $(df --output=avail -k "$work" | tail -1) / 1024 / 1024 ))
((avail_gb >= need_gb)) || die "$work has ${avail_gb} GB free; a run needs ${need_gb} GB"

# The machine's own Debian mirror (deb822 .sources or a one-line sources.list).
mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)
[[ -n $mirror ]] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
                             awk '{print $2}' | grep -v security | head -1 || true)
[[ -n $mirror ]] || mirror=http://deb.debian.org/debian

# The root trusts and reaches what the machine does: its apt sources and settings, DNS, CA certificates.
configure_root() {
  local r=$1
  rm -f "$r/etc/apt/sources.list"
  cp /etc/apt/sources.list "$r/etc/apt/" 2>/dev/null || true
  find /etc/apt/sources.list.d -maxdepth 1 -type f \( -name '*.list' -o -name '*.sources' \) \
    -exec cp {} "$r/etc/apt/sources.list.d/" \;
  find /etc/apt/apt.conf.d -maxdepth 1 -type f -exec cp {} "$r/etc/apt/apt.conf.d/" \;
  cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
  cp /etc/hosts "$r/etc/hosts" 2>/dev/null || true
  mkdir -p "$r/usr/local/share/ca-certificates"
  find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$r/usr/local/share/ca-certificates/" \;
}
in_root() {  # COMMAND: run in the root with a clean environment, the CA variables passed through
  local r=$1; shift
  local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
             TERM=dumb DEBIAN_FRONTEND=noninteractive)
  local v
  for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE GIT_SSL_CAINFO \
           http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY OPENBLAS_CORETYPE OPENBLAS_L2_SIZE CI; do
    if [[ -n ${!v:-} ]]; then env+=("$v=${!v}"); fi
  done
  chroot "$r" /usr/bin/env -i "${env[@]}" /bin/bash -c "$*"
}
mount_root() {
  local r=$1
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --bind /dev "$r/dev"
  mount --make-private "$r/dev"   # nothing mounted below it may reach the machine's own /dev
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"   # apt's terminal log
  mount -t tmpfs -o size=2g,mode=1777 tmpfs "$r/dev/shm"   # Chromium
}

# The base: debootstrap + the machine's base packages, cached as a tarball keyed by what is in it.
key=$(printf '%s %s %s' "$suite" "$mirror" "${base_packages[*]}" | sha256sum | cut -c1-12)
tarball=$cache/base-$suite-$key.tar
t0=$(date +%s)
if [[ ! -f $tarball ]]; then
  say "building the base root ($suite from $mirror) into $tarball"
  b=$work/base-build
  attempt() { teardown "$b"; mkdir -p "$b"; debootstrap --variant=minbase "$suite" "$b" "$mirror" > "$logs/debootstrap.log" 2>&1; }
  retry attempt || { tail -n 20 "$logs/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  configure_root "$b"
  mount_root "$b"
  retry in_root "$b" "apt-get update -q && apt-get install -y -q --no-install-recommends ${base_packages[*]}" \
    > "$logs/base-packages.log" 2>&1 || { tail -n 20 "$logs/base-packages.log" >&2; die "installing the base packages failed"; }
  # A new machine comes without downloaded archives; the package lists are fetched again by setup.
  in_root "$b" "apt-get clean && rm -rf /var/lib/apt/lists/*"
  while read -r m; do umount -l "$m" || true; done < <(mounts_under "$b")
  rm -f "$cache"/base-$suite-*.tar
  tar -C "$b" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  teardown "$b"
  say "base root built in $(elapsed "$t0") s"
else
  say "base root from $tarball"
fi

mkdir -p "$root"
tar -C "$root" -xf "$tarball"
configure_root "$root"
mount_root "$root"
in_root "$root" "update-ca-certificates >/dev/null 2>&1"
git clone -q "$src" "$root/root/advnet"
say "cloned $(git -C "$root/root/advnet" log -1 --format='%h %s' | cut -c1-80)"
[[ -z $(git -C "$src" status --porcelain --untracked-files=no) ]] || say "note: uncommitted changes in $src are not checked"

for cmd in "$@"; do
  log=$logs/$(echo "$cmd" | tr -c 'a-zA-Z0-9\n' '_').log
  say "running '$cmd' in the fresh root (log: $log)"
  t=$(date +%s)
  # In the background and waited for: a TERM (CI at its limit) is handled at once, not after the command.
  in_root "$root" "cd /root/advnet && $cmd" > "$log" 2>&1 &
  if wait $!; then
    say "'$cmd' passed in $(elapsed "$t") s"
    # The runners' closing lines, and what the demo printed.
    grep -E 'tests passed|^fuzz |nats|^open ' "$log" | sed 's/^/  /' || true
  else
    rc=$?
    say "'$cmd' FAILED (exit $rc) after $(elapsed "$t") s; its last lines:"
    tail -n 60 "$log" | sed 's/^/  | /'
    exit 1
  fi
done
say "all passed in $(elapsed "$t0") s"
