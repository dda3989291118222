// Namespace, identity-in-namespace and naming steps.
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "child.h"
#include "sys.h"

namespace child {

int step_setns(ChildContext*, const Step* s) {
  long fd = sys(SYS_openat, AT_FDCWD, s->groups[0][0], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return (int)fd;
  long r = sys(SYS_setns, fd, (long)s->ints[0]);
  sys(SYS_close, fd);
  return (int)r;
}

// All of a process's namespaces in `flags` at once, through a pidfd: the
// kernel enters the user namespace first and either joins them all or none,
// and no /proc path is resolved half way (after the mount namespace the
// host's /proc is out of sight).
int step_setns_pid(ChildContext*, const Step* s) {
  long fd = sys(SYS_pidfd_open, (long)s->ints[0], 0);
  if (fd < 0) return (int)fd;
  long r = sys(SYS_setns, fd, (long)s->ints[1]);
  sys(SYS_close, fd);
  return (int)r;
}

// A session keyring of the container's own, as runc makes one (keys the
// container adds do not land in the caller's session keyring).
int step_session_keyring(ChildContext*, const Step* s) {
  const long KEYCTL_JOIN_SESSION_KEYRING = 1;
  long r = sys(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, s->groups[0][0]);
  return r < 0 ? (int)r : 0;
}

int step_unshare(ChildContext*, const Step* s) { return (int)sys(SYS_unshare, (long)s->ints[0]); }

// The parent writes /proc/<pid>/{uid,gid}_map; we wait until it has.
int step_sync_idmaps(ChildContext* c, const Step*) { return handshake(c, MSG_IDMAPS); }

// The parent writes our pid into each cgroup v1 hierarchy (a cgroup.procs
// write is the only way in there); we wait until it has. ints[0] splits the
// handshake: 1 asks and goes on, 2 waits for the answer to that ask (the
// parent's writes then overlap the steps in between).
int step_sync_cgroups(ChildContext* c, const Step* s) {
  long part = s->nints > 0 ? (long)s->ints[0] : 0;
  if (part == 2) return wait_go(c->sync_fd);
  if (part == 1) return send_msg(c->sync_fd, MSG_CGROUPS, (int32_t)c->step, 0);
  return handshake(c, MSG_CGROUPS);
}

// A single-threaded process that moves itself into a v1 cgroup (pid 0 in
// `tasks`) skips the kernel's global threadgroup lock (Linux 6.0+), whose
// write side waits for an RCU grace period: the parent writing our pid into
// cgroup.procs costs 2 ms or more per hierarchy once the machine has been
// idle, this costs tens of microseconds. Older kernels take the lock anyway.
int step_enter_cgroup(ChildContext*, const Step* s) {
  long fd = sys(SYS_openat, AT_FDCWD, s->groups[0][0], O_WRONLY | O_CLOEXEC);
  if (fd < 0) return (int)fd;
  long r = sys(SYS_write, fd, "0", 1);
  sys(SYS_close, fd);
  return r < 0 ? (int)r : 0;
}

// The parent runs the hooks that see the container's namespaces before
// pivot_root (prestart, createRuntime, createContainer).
int step_sync_hooks(ChildContext* c, const Step*) { return handshake(c, MSG_HOOKS); }

// Files created from here on belong to root of the (new or joined) user
// namespace, as runc does after joining one.
int step_set_root_ids(ChildContext*, const Step* s) {
  bool set_groups = s->nints > 0 && s->ints[0] != 0;
  long r = set_groups ? sys(SYS_setgroups, 0, 0) : 0;
  if (r == -EPERM && setgroups_denied()) r = 0;
  if (r == 0) r = sys(SYS_setresgid, 0, 0, 0);
  if (r == 0) r = sys(SYS_setresuid, 0, 0, 0);
  return (int)r;
}

int step_hostname(ChildContext*, const Step* s) {
  const char* name = s->groups[0][0];
  return (int)sys(SYS_sethostname, name, slen(name));
}

int step_domainname(ChildContext*, const Step* s) {
  const char* name = s->groups[0][0];
  return (int)sys(SYS_setdomainname, name, slen(name));
}

// A new network namespace starts with loopback down.
int step_loopback_up(ChildContext*, const Step*) {
  long fd = sys(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return (int)fd;
  struct ifreq ifr = {};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  long r = sys(SYS_ioctl, fd, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    r = sys(SYS_ioctl, fd, SIOCSIFFLAGS, &ifr);
  }
  sys(SYS_close, fd);
  return (int)r;
}

}  // namespace child

namespace child {

// A pid namespace joined by setns or made by unshare holds only the caller's
// children: clone the container's init into it. CLONE_PARENT makes the init
// the runtime's child (reaped through a pidfd the runtime opens from the pid
// we send); this process then ends, and the init runs the remaining steps.
int step_fork_init(ChildContext* c, const Step*) {
  struct clone_args args = {};
  args.flags = CLONE_VM | CLONE_PARENT;
  args.stack = (uint64_t)(uintptr_t)c->init_stack;
  args.stack_size = c->init_stack_size;
  long pid = ociish_clone3_run(&args, sizeof args, resume_plan, c);
  if (pid < 0) return (int)pid;
  int r = send_msg(c->sync_fd, MSG_PID, 0, pid);
  return r < 0 ? r : kStepDone;
}

}  // namespace child
