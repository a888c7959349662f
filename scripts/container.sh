# Sourced by scripts/test-container and scripts/test-fresh: the podman set-up
# both share. Installs podman and what it needs, and makes the base image
# debian:bookworm-slim locally: debootstrap from the Debian mirror apt already
# uses, imported with `podman import`, cached in podman's store and as a
# tarball under $READOUT_CT_CACHE. No Docker engine or registry is used.
#
# The caller defines say() (prints a step) and sets WORK (a scratch
# directory) before calling ct_prepare_base.
#
# Environment:
#   READOUT_CT_CACHE   base rootfs tarball cache (default /var/cache/readout-ct)
#   READOUT_CT_REBASE  1 = rebuild the base image even if present
# shellcheck shell=bash

# shellcheck source=scripts/deps.sh
. "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

CT_BASE=docker.io/library/debian:bookworm-slim
CT_CACHE=${READOUT_CT_CACHE:-/var/cache/readout-ct}

# podman, without the harmless errors that podman 4.3 prints on a host without
# systemd (it cannot add timers for healthchecks; `podman healthcheck run` works).
pm() {
  local rc=0 err
  err=$(mktemp)
  podman "$@" 2>"$err" || rc=$?
  grep -v -e 'unable to get systemd connection' -e 'Removing timer for container' "$err" >&2 || true
  rm -f "$err"
  return "$rc"
}

readout_install "${READOUT_CONTAINER_PACKAGES[@]}"

# Explicit limits: root here cannot raise them, and runc otherwise tries to.
NOFILE=$(ulimit -Hn)
case "$NOFILE" in unlimited|'') NOFILE=1048576 ;; esac
[ "$NOFILE" -gt 1048576 ] && NOFILE=1048576
CT_RUN_OPTS=(--runtime runc --ulimit "nofile=$NOFILE:$NOFILE" --ulimit nproc=4096:4096)

# The Debian mirror apt uses here, and the sources file that names it.
ct_find_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*bookworm([ \t\n]|$)/ && /(^|\n)URIs:/ {found=1} END{exit !found}' "$f"; then
      echo "$f"; return 0
    fi
  done
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
    [ -f "$f" ] || continue
    if grep -Eq '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z]+://[^[:space:]]+[[:space:]]+bookworm([[:space:]]|$)' "$f"; then
      echo "$f"; return 0
    fi
  done
  return 1
}

ct_find_mirror() {
  case "$1" in
    *.sources)
      awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*bookworm([ \t\n]|$)/ {
             n = split($0, lines, "\n")
             for (i = 1; i <= n; i++) if (lines[i] ~ /^URIs:/) { split(lines[i], w, /[ \t]+/); print w[2]; exit }
           }' "$1" ;;
    *)
      grep -E '^deb[[:space:]]' "$1" | sed -E 's/\[[^]]*\]//' |
        awk '$3 == "bookworm" {print $2; exit}' ;;
  esac
}

# Makes $CT_BASE unless podman has it. Returns non-zero when debootstrap fails.
ct_prepare_base() {
  if [ "${READOUT_CT_REBASE:-0}" != 1 ] && podman image exists "$CT_BASE"; then
    say "base image $CT_BASE: present (cached)"
    return 0
  fi
  local sources mirror key tarball rootfs
  if sources=$(ct_find_sources); then
    mirror=$(ct_find_mirror "$sources")
  else
    sources=""
  fi
  mirror=${mirror:-http://deb.debian.org/debian}
  key=$( { [ -n "$sources" ] && cat "$sources"; echo "$mirror"; } | sha256sum | cut -c1-12)
  mkdir -p "$CT_CACHE"
  tarball="$CT_CACHE/debian-bookworm-minbase-$key.tar"
  exec 9>"$CT_CACHE/.lock"
  flock 9
  if [ "${READOUT_CT_REBASE:-0}" = 1 ] || [ ! -s "$tarball" ]; then
    rootfs="$WORK/rootfs"
    say "debootstrap --variant=minbase bookworm from $mirror (sources: ${sources:-none})"
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
      tail -n 30 "$WORK/debootstrap.log"
      flock -u 9
      return 1
    fi
    if [ -n "$sources" ]; then
      # The image's apt uses the same mirror (and snapshot) as this machine.
      case "$sources" in
        *.sources) rm -f "$rootfs/etc/apt/sources.list"
                   cp "$sources" "$rootfs/etc/apt/sources.list.d/" ;;
        *)         cp "$sources" "$rootfs/etc/apt/sources.list" ;;
      esac
    fi
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb \
           "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
    tar -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  else
    say "base rootfs: cached at $tarball"
  fi
  say "podman import $tarball as $CT_BASE"
  pm import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$tarball" "$CT_BASE" >/dev/null
  flock -u 9
}
