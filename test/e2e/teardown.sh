#!/usr/bin/env bash
# Undoes test/e2e/setup.sh: removes the suite's containers and pods, ends the
# processes that still name the scratch dir (conmon, podman cleanup) by pid,
# unmounts what is mounted under it, removes the libpod_parent cgroups where
# setup found none, and deletes the scratch dir ($OCIISH_E2E_DIR, default
# /var/tmp/ociish-e2e).
#   --packages  also apt-get remove the packages setup.sh installed
set -euo pipefail

dir="${OCIISH_E2E_DIR:-/var/tmp/ociish-e2e}"
say() { printf 'e2e teardown: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "e2e teardown: needs root" >&2; exit 1; }
case "$dir" in /?*) ;; *) echo "e2e teardown: OCIISH_E2E_DIR must be absolute: $dir" >&2; exit 1 ;; esac
[ -d "$dir" ] || { say "nothing at $dir"; exit 0; }

if [ -x "$dir/podman" ] && [ -d "$dir/cwd" ]; then
  cd "$dir/cwd"
  "$dir/podman" rm -af -t 0 >/dev/null || true
  "$dir/podman" pod rm -af -t 0 >/dev/null || true
  cd /
  say "removed containers and pods"
fi

# conmon and podman processes whose command line names the scratch dir
# (never this script or its parents).
self_and_parents=" $$ "
p=$$
while [ "$p" -gt 1 ]; do
  p=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f2); p=${p:-1}
  self_and_parents+="$p "
done
for procdir in /proc/[0-9]*; do
  pid=${procdir#/proc/}
  case "$self_and_parents" in *" $pid "*) continue ;; esac
  cmd=$(tr '\0' ' ' <"$procdir/cmdline" 2>/dev/null) || continue
  case "${cmd%% *}" in */conmon | conmon | */podman | podman) ;; *) continue ;; esac
  if printf '%s' "$cmd" | grep -qF "$dir"; then
    say "killing pid $pid: ${cmd:0:120}"
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

# Mounts under the scratch dir, deepest first.
awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
  say "unmounting $m"
  umount -l "$m" || true
done
if awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
  echo "e2e teardown: mounts remain under $dir; not deleting it" >&2
  exit 1
fi

# libpod_parent cgroups that setup found absent: remove them bottom-up (a
# cgroup with processes refuses, and is reported).
pre="$dir/state/libpod_parent-preexisting"
if [ -f "$pre" ]; then
  for h in /sys/fs/cgroup/*/; do
    lp="${h}libpod_parent"
    [ -d "$lp" ] || continue
    grep -qxF "$lp" "$pre" && continue
    find "$lp" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    if [ -d "$lp" ]; then say "could not remove $lp (processes left in it?)"; else say "removed $lp"; fi
  done
fi

pkgs=()
if [ "${1:-}" = --packages ] && [ -f "$dir/state/installed-packages" ]; then
  mapfile -t pkgs <"$dir/state/installed-packages"
fi
rm -rf --one-file-system "${dir:?}"
say "removed $dir"
if [ "${#pkgs[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "${pkgs[@]}" >/dev/null
  say "removed packages ${pkgs[*]}"
fi
