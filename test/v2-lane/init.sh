#!/bin/busybox sh
# pid 1 of the v2 lane's guest (run.sh packs this file into the initramfs as
# /init). It mounts the host's / read-only over 9p, gives it what a pure
# cgroup v2 host has, runs the job file the host wrote, and powers off.
# Any failure powers off without the exit marker, which run.sh reports.
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /host /hostraw
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
stty -onlcr # plain \n on the serial line: the host log has no \r

die() {
  echo "v2-lane init: $*"
  stty -onlcr
  poweroff -f
}

for m in $(cat /modules.list); do
  insmod "/modules/$m.ko" || die "insmod $m failed"
done

jobdir=
for arg in $(cat /proc/cmdline); do
  case "$arg" in ociish.jobdir=*) jobdir="${arg#ociish.jobdir=}" ;; esac
done
[ -n "$jobdir" ] || die "no ociish.jobdir= on the kernel command line"

R=/host
mount -t 9p -o "$(cat /9p.options)" hostroot "$R" || die "mounting the host's / over 9p failed"
mount --bind "$R" /hostraw # the share without the tmpfs mounts below
# init.env (written by run.sh): repo=, modules= (host paths)
. "$R$jobdir/init.env" || die "no $jobdir/init.env in the share"

# The kernel's module autoloader (fs-overlay, rtnl-link-veth, ...) runs
# /sbin/modprobe here, in the initramfs: give it the kernel package's modules.
mkdir -p "/lib/modules/$(uname -r)"
mount --bind "$R$modules" "/lib/modules/$(uname -r)" || die "no modules at $modules"

# pure v2, mounted the way systemd mounts it
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup || die "mounting cgroup2 failed"
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
mount -t mqueue mqueue /dev/mqueue
for d in proc sys dev; do mount --rbind "/$d" "$R/$d" || die "rbind /$d failed"; done
mount -t tmpfs -o mode=755,nosuid,nodev run "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$R/tmp"
# a repo that lives under /tmp or /run is hidden by those: show it again
if [ ! -d "$R$repo" ]; then
  mkdir -p "$R$repo" && mount --bind "/hostraw$repo" "$R$repo" || die "cannot show $repo in the guest"
fi
# tap writes its state there (run.sh made the mount point)
if [ -d "$R$repo/.tap" ]; then mount -t tmpfs -o mode=755 tap "$R$repo/.tap"; fi
hostname v2-lane
ip link set lo up

# job.sh: env, cd and the command; its exit status goes to the host in a marker line
cp "$R$jobdir/job.sh" "$R/run/ociish-v2-lane-job.sh" || die "no $jobdir/job.sh in the share"
# Not a plain chroot: clone(CLONE_NEWUSER) fails with EPERM in one. As
# switch_root does, the share is moved over / and the job's root is that mount,
# the root of its mount namespace. pid 1 and the kernel's threads keep the
# initramfs under it (poweroff, the module autoloader).
# Kernel messages (OOM kills...) would land in the middle of test output
# lines: off the console during the job; its errors and WARNINGs after it
# (not the warning-level OOM reports around each kill: 60 lines each).
dmesg -c >/dev/null # the boot's own (tsc, mmconfig...)
dmesg -n 1
rc=0
(cd "$R" && mount --move . / && exec chroot . /usr/bin/env -i /bin/bash /run/ociish-v2-lane-job.sh) || rc=$?
k="$(dmesg -r | grep -E '^<[0-3]>|^<4>.*WARNING:')"
[ -z "$k" ] || printf 'v2-lane: kernel errors during the run:\n%s\n' "$k"
echo "OCIISH-V2-LANE-EXIT=$rc"
stty -onlcr # stty sets with TCSADRAIN: the serial line drains before the power goes
poweroff -f
