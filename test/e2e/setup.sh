#!/usr/bin/env bash
# Prepares the podman e2e lane (idempotent; root only):
#   * Debian packages podman conmon slirp4netns uidmap busybox-static catatonit
#     (apt-get update only when one is missing);
#   * a private rootful podman environment under one scratch dir
#     ($OCIISH_E2E_DIR, default /var/tmp/ociish-e2e): storage (--root), runroot,
#     tmpdir, events log and a containers.conf (CONTAINERS_CONF) with
#     slirp4netns networking, cgroupfs, file events, ulimits this sandbox
#     allows, and the runtime registered as "ociish";
#   * $DIR/bin/ociish: a symlink to the runtime under test
#     ($OCIISH_E2E_RUNTIME, default this repo's bin/ociish), so that podman
#     always calls a binary named ociish (its basename decides whether podman
#     passes --log-format=json --log FILE; "ociish" is listed in
#     runtime_supports_json);
#   * the image localhost/busybox:latest, imported from the example rootfs
#     (lib/bundle/example.ts: static busybox plus its applet links);
#   * $DIR/podman: podman with the private flags and env, for humans.
# Everything except the packages is undone by test/e2e/teardown.sh
# (teardown.sh --packages removes the packages this script installed, too).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${OCIISH_E2E_DIR:-/var/tmp/ociish-e2e}"
runtime="${OCIISH_E2E_RUNTIME:-$root/bin/ociish}"
say() { printf 'e2e setup: %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "e2e setup: needs root (rootful podman)" >&2; exit 1; }
case "$dir" in /*) ;; *) echo "e2e setup: OCIISH_E2E_DIR must be absolute: $dir" >&2; exit 1 ;; esac
case "$runtime" in /*) ;; *) echo "e2e setup: OCIISH_E2E_RUNTIME must be absolute: $runtime" >&2; exit 1 ;; esac
[ -x "$runtime" ] || { echo "e2e setup: runtime $runtime is not an executable file" >&2; exit 1; }
# podman refuses a runroot of 50 characters or more.
if [ "${#dir}" -gt 40 ]; then
  echo "e2e setup: OCIISH_E2E_DIR too long (${#dir} chars; runroot $dir/run must stay under 50)" >&2
  exit 1
fi

mkdir -p "$dir/state"

# --- packages ---------------------------------------------------------------
pkgs=(podman conmon slirp4netns uidmap busybox-static catatonit)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No recommends: podman's pull in buildah, dbus-user-session, fuse-overlayfs.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  printf '%s\n' "${missing[@]}" >>"$dir/state/installed-packages"
else
  say "packages present: ${pkgs[*]}"
fi

# --- cgroup bookkeeping for teardown ----------------------------------------
# teardown removes /libpod_parent only from hierarchies where it did not exist
# before the first setup.
if [ ! -e "$dir/state/libpod_parent-preexisting" ]; then
  : >"$dir/state/libpod_parent-preexisting"
  for h in /sys/fs/cgroup/*/; do
    [ -d "${h}libpod_parent" ] && echo "${h}libpod_parent" >>"$dir/state/libpod_parent-preexisting"
  done
fi

# --- private podman environment ---------------------------------------------
mkdir -p "$dir/bin" "$dir/root" "$dir/run" "$dir/tmp" "$dir/cwd" "$dir/networks"
ln -sfn "$runtime" "$dir/bin/ociish"
say "runtime: $dir/bin/ociish -> $runtime"

cat >"$dir/containers.conf.new" <<CONF
# Written by test/e2e/setup.sh; private to the e2e lane.
[containers]
netns = "slirp4netns"
# No CAP_SYS_RESOURCE here and hard RLIMIT_NOFILE is 20000: podman's
# default 1048576 cannot be set (CLI-CONTRACT 5.1).
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
init_path = "/usr/libexec/podman/catatonit"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
runtime = "ociish"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "ociish"]

[engine.runtimes]
ociish = ["$dir/bin/ociish"]

[network]
network_config_dir = "$dir/networks"
CONF
mv "$dir/containers.conf.new" "$dir/containers.conf"

# The runroot keeps state that is only valid until reboot: podman notices a
# reboot through its tmpdir, which is not on tmpfs here, so drop a runroot
# older than the boot.
boot=$(( $(date +%s) - $(cut -d. -f1 /proc/uptime) ))
if [ -e "$dir/state/setup-boot" ] && [ "$(cat "$dir/state/setup-boot")" -lt $((boot - 5)) ]; then
  say "machine rebooted since the last setup: clearing runroot and tmpdir"
  rm -rf "${dir:?}/run" "${dir:?}/tmp"
  mkdir -p "$dir/run" "$dir/tmp"
fi
echo "$boot" >"$dir/state/setup-boot"

cat >"$dir/podman.new" <<SH
#!/bin/sh
# podman with the e2e lane's private flags and env (test/e2e/setup.sh).
export CONTAINERS_CONF="$dir/containers.conf"
exec /usr/bin/podman --root "$dir/root" --runroot "$dir/run" --tmpdir "$dir/tmp" \\
  --storage-driver overlay --cgroup-manager=cgroupfs --events-backend=file "\$@"
SH
chmod 0755 "$dir/podman.new"
mv "$dir/podman.new" "$dir/podman"
say "podman: $dir/podman (root $dir/root, runroot $dir/run, conf $dir/containers.conf)"

cd "$dir/cwd" # conmon writes an oom file into podman's cwd
# A run that was killed (tap timeout) may have left containers or pods.
left=$("$dir/podman" ps -aq | wc -l)
pods=$("$dir/podman" pod ps -q | wc -l)
if [ "$left" -gt 0 ] || [ "$pods" -gt 0 ]; then
  "$dir/podman" rm -af -t 0 >/dev/null
  "$dir/podman" pod rm -af -t 0 >/dev/null
  say "removed $left containers and $pods pods left by an earlier run"
fi

# --- image ------------------------------------------------------------------
if "$dir/podman" image exists localhost/busybox:latest; then
  say "image localhost/busybox:latest present"
else
  example="$root/dist/lib/bundle/example.js"
  if [ ! -f "$example" ]; then
    say "building TypeScript (dist/) for lib/bundle/example"
    (cd "$root" && node_modules/.bin/tsc -p tsconfig.json)
  fi
  rm -rf "$dir/bundle"
  node -e 'require(process.argv[1]).buildExampleBundle(process.argv[2]).then((b) => { if (b.source !== "busybox") throw new Error("no static busybox found: " + b.source); })' \
    "$example" "$dir/bundle"
  tar -C "$dir/bundle/rootfs" -c . | "$dir/podman" import -q --change 'CMD ["/bin/sh"]' - localhost/busybox:latest >/dev/null
  rm -rf "$dir/bundle"
  say "image localhost/busybox:latest imported from the example rootfs (static busybox)"
fi
say "ready: $("$dir/podman" --version), $(conmon --version | head -1), runtime says: $("$dir/bin/ociish" --version 2>&1 | head -1)"
