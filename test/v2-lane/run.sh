#!/usr/bin/env bash
# The pure cgroup v2 lane (npm run test:v2): runs a command, by default the
# cgroup integration tests, inside Debian's kernel booted under qemu (TCG)
# with only the cgroup2 hierarchy mounted, whatever this host's layout.
#
#   bash test/v2-lane/run.sh [COMMAND...]
#
# The guest's root is this host's / shared read-only over 9p, with tmpfs on
# /tmp and /run, so dist/ and build/Release/ociish.node must be built on the
# host first. A command runs in the caller's working directory; the default
# one in the repo. The exit status is the command's.
#
# The kernel package (linux-image-amd64's dependency) is downloaded, not
# installed, and unpacked with the initramfs into $OCIISH_V2_LANE_CACHE
# (default /var/cache/ociish-v2-lane), keyed by its version.
# OCIISH_V2_LANE_TIMEOUT (seconds, default 1500) bounds the whole boot;
# OCIISH_V2_LANE_APPEND adds kernel arguments (loglevel=7 shows the boot).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${OCIISH_V2_LANE_CACHE:-/var/cache/ociish-v2-lane}"
limit="${OCIISH_V2_LANE_TIMEOUT:-1500}"
modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p)
# cache=loose suits a read-only share; measured here it was the fastest
# (cache=mmap several times slower, no cache about twice); msize made no
# measurable difference
nine_p_opts="trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose"

# The guest runs this host's binaries: an amd64 kernel needs an x86_64 host.
[ "$(uname -m)" = x86_64 ] || { echo "v2-lane: x86_64 hosts only (this is $(uname -m))" >&2; exit 1; }
if [ "$#" -gt 0 ]; then
  cmd=("$@")
  cwd="$PWD"
else
  cmd=(node_modules/.bin/tap --disable-coverage --allow-empty-coverage dist/test/integration/cgroup*.test.js)
  cwd="$root"
  if ! compgen -G "$root/dist/test/integration/cgroup*.test.js" >/dev/null; then
    echo "v2-lane: no dist/test/integration/cgroup*.test.js: run npm run build first" >&2
    exit 1
  fi
fi
if [ ! -f "$root/build/Release/ociish.node" ]; then
  echo "v2-lane: no build/Release/ociish.node: run npm run build first (the guest cannot write the repo)" >&2
  exit 1
fi

# --- host packages -----------------------------------------------------------
apt_updated=
apt_update() {
  [ -n "$apt_updated" ] || apt-get update -qq
  apt_updated=1
}
missing=()
for p in qemu-system-x86 busybox-static xz-utils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "v2-lane: installing ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

tmp="$(mktemp -d /var/tmp/ociish-v2-lane.XXXXXX)" # /var/tmp: the guest's /tmp is its own
qpid=
staged=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null || true # timeout(1) passes it on to qemu
    wait "$qpid" 2>/dev/null || true
  fi
  rm -rf "$tmp" ${staged:+"$staged"}
  [ -z "${initrd:-}" ] || rm -f "$initrd.$$"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- kernel: unpacked, not installed -------------------------------------------
# apt here may keep no binary cache (Dir::Cache::pkgcache ""): one for this run
apt_cache() { apt-cache -o Dir::Cache::pkgcache="$tmp/pkgcache.bin" -o Dir::Cache::srcpkgcache= "$@" 2>/dev/null; }
# sets pkg (the real package behind linux-image-amd64), version and kdir
resolve() {
  pkg="$(apt_cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }' || true)"
  version="$(apt_cache show --no-all-versions "$pkg" | awk '$1 == "Version:" { print $2; exit }' || true)"
  kdir="$cache/${pkg}_$version"
}
resolve
if [ -z "$pkg" ] || [ -z "$version" ] || [ ! -f "$kdir/ready" ]; then
  # nothing cached for it: fresh lists first, or the download may 404
  apt_update
  rm -f "$tmp/pkgcache.bin"
  resolve
  [ -n "$pkg" ] && [ -n "$version" ] || { echo "v2-lane: apt-cache finds no kernel package behind linux-image-amd64" >&2; exit 1; }
fi

# Other runs (worktrees) may share the cache: trees and initramfs images are
# made under a name of this run's own and renamed into place.
if [ ! -f "$kdir/ready" ]; then
  echo "v2-lane: fetching $pkg $version into $kdir"
  staged="$cache/.new.$$"
  mkdir -p "$cache"
  rm -rf "$staged"
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version")
  dpkg-deb -x "$tmp"/*.deb "$staged"
  rm -f "$tmp"/*.deb
  kver="$(ls "$staged/lib/modules")"
  busybox depmod -b "$staged" "$kver" # for the guest's module autoloader
  # The bzImage unpacks its xz payload itself, which takes TCG ~5 s per boot;
  # the payload is an ELF with a PVH entry that qemu boots directly.
  vmlinuz="$staged/boot/vmlinuz-$kver"
  off="$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1 || true)"
  if [ -n "$off" ]; then
    tail -c +"$((off + 1))" "$vmlinuz" | xz -dcq --single-stream >"$staged/boot/vmlinux" 2>/dev/null || true
    [ "$(head -c4 "$staged/boot/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || rm -f "$staged/boot/vmlinux"
  fi
  touch "$staged/ready"
  mv -T "$staged" "$kdir" 2>/dev/null || rm -rf "$staged" # or another run was first
  staged=
fi
touch "$kdir/ready" # last used: trees unused for a day go (400 MB each)
find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/linux-image-*/ready" -mmin +1440 -printf '%h\0' | xargs -0r rm -rf
find "$cache" -mindepth 1 -maxdepth 1 -name '.new.*' -mmin +1440 -exec rm -rf {} +
kver="$(ls "$kdir/lib/modules")"
moddir="$kdir/lib/modules/$kver"
kimage="$kdir/boot/vmlinux"
[ -f "$kimage" ] || kimage="$kdir/boot/vmlinuz-$kver"

# --- initramfs: static busybox, the 9p modules, init.sh ---------------------------
initrd="$kdir/initramfs-$(cat "$root/test/v2-lane/init.sh" /bin/busybox <(echo "${modules[*]}" "$nine_p_opts") | sha256sum | cut -c1-16).gz"
if [ ! -f "$initrd" ]; then
  stage="$tmp/initramfs"
  mkdir -p "$stage/bin" "$stage/dev" "$stage/modules"
  cp /bin/busybox "$stage/bin/busybox"
  cp "$root/test/v2-lane/init.sh" "$stage/init"
  chmod 755 "$stage/init"
  mknod "$stage/dev/console" c 5 1
  echo "$nine_p_opts" >"$stage/9p.options"
  : >"$stage/modules.list"
  for m in "${modules[@]}"; do
    if grep -qE "/$m\.ko(\.[a-z]+)?\$" "$moddir/modules.builtin"; then continue; fi
    ko="$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)"
    [ -n "$ko" ] || { echo "v2-lane: module $m is neither built in nor in $pkg" >&2; exit 1; }
    case "$ko" in
      *.xz) xz -dc "$ko" >"$stage/modules/$m.ko" ;;
      *) cp "$ko" "$stage/modules/$m.ko" ;;
    esac
    echo "$m" >>"$stage/modules.list"
  done
  (cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$initrd.$$"
  mv -f "$initrd.$$" "$initrd"
fi
touch "$initrd"
find "$kdir" -maxdepth 1 -name 'initramfs-*' -mmin +1440 -delete

# --- the job the guest runs (it reads these files through the 9p share) -------------
mkdir -p "$root/.tap" # tap's state dir: the guest mounts a tmpfs on it
{
  printf 'repo=%q\nmodules=%q\n' "$root" "$moddir"
} >"$tmp/init.env"
{
  echo 'export PATH='"$(printf %q "$PATH")"' HOME=/root'
  # CI and our own knobs pass through; NODE_EXTRA_CA_CERTS and the rest do not
  for v in CI $(compgen -e | grep -E '^(OCIISH_|TAP_)' | grep -v '^OCIISH_V2_LANE_' || true); do
    if [ -n "${!v+x}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
  printf 'cd %q || { echo "v2-lane: (the guest has its own /tmp and /run)"; exit 1; }\n' "$cwd"
  echo 'echo "v2-lane: up $(cut -d" " -f1 /proc/uptime)s, kernel $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"'
  # through a pipe: the command sees no terminal, as in CI
  printf '%q ' "${cmd[@]}"
  echo '</dev/null 2>&1 | cat'
  echo 'exit "${PIPESTATUS[0]}"'
} >"$tmp/job.sh"

# --- boot -----------------------------------------------------------------------------
log="$tmp/console.log"
echo "v2-lane: booting $pkg $version under qemu (TCG), timeout ${limit}s"
started=$SECONDS
timeout -k 10 "$limit" qemu-system-x86_64 \
  -accel tcg -cpu max -smp 2 -m 4G -nographic -no-reboot -monitor none -bios qboot.rom \
  -kernel "$kimage" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all ociish.jobdir=$tmp ${OCIISH_V2_LANE_APPEND:-}" \
  -chardev "stdio,id=con,signal=off,logfile=$log" -serial chardev:con \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -nic none </dev/null &
qpid=$!
status=0
wait "$qpid" || status=$?
qpid=
echo "v2-lane: guest ran for $((SECONDS - started))s"

marker="$(grep -aoE '^OCIISH-V2-LANE-EXIT=[0-9]+' "$log" | tail -n1 || true)"
if [ -z "$marker" ]; then
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "v2-lane: the guest did not finish within ${limit}s (OCIISH_V2_LANE_TIMEOUT)" >&2
  else
    echo "v2-lane: the guest stopped without reporting an exit status (qemu exited $status)" >&2
  fi
  exit 1
fi
exit "${marker#OCIISH-V2-LANE-EXIT=}"
