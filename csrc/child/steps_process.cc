// The process steps, in the order the plan emits them: rlimits, bounding
// set, user and groups, capabilities, umask, no_new_privs, cwd (execve:
// steps_exec.cc).
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <sys/resource.h>

#include "child.h"
#include "sys.h"

namespace child {

int step_rlimit(ChildContext*, const Step* s) {
  struct rlimit64_k {
    uint64_t cur, max;
  } lim = {(uint64_t)s->ints[1], (uint64_t)s->ints[2]};
  return (int)sys(SYS_prlimit64, 0, (long)s->ints[0], &lim, 0);
}

int step_cap_bounding(ChildContext*, const Step* s) {
  uint64_t keep = (uint64_t)s->ints[0];
  long last = (long)s->ints[1];
  for (long cap = 0; cap <= last; cap++) {
    if (keep & (1ull << cap)) continue;
    long r = sys(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
    if (r < 0) return (int)r;
  }
  return 0;
}

// A user namespace whose setgroups is "deny" (made by an unprivileged
// process, or joined) refuses setgroups(2) for good.
bool setgroups_denied() {
  long fd = sys(SYS_openat, AT_FDCWD, "/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[8] = {};
  long n = sys(SYS_read, fd, buf, sizeof buf - 1);
  sys(SYS_close, fd);
  return n >= 4 && buf[0] == 'd' && buf[1] == 'e' && buf[2] == 'n' && buf[3] == 'y';
}

// setgroups, setresgid, setresuid, keeping the permitted set (CAPS sets the rest).
// Where setgroups is denied, an empty group list is simply not set (as runc);
// asking for additional groups there fails.
int step_set_user(ChildContext*, const Step* s) {
  long uid = (long)s->ints[0], gid = (long)s->ints[1];
  bool set_groups = s->ints[2] != 0;
  uint32_t ngroups = s->nints - 3;
  long r = 0;
  if (set_groups) {
    uint32_t groups[1024];
    if (ngroups > 1024) return -E2BIG;
    for (uint32_t i = 0; i < ngroups; i++) groups[i] = (uint32_t)s->ints[3 + i];
    r = sys(SYS_setgroups, ngroups, groups);
    if (r == -EPERM && ngroups == 0 && setgroups_denied()) r = 0;
  }
  if (r == 0) r = sys(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0);
  if (r == 0) r = sys(SYS_setresgid, gid, gid, gid);
  if (r == 0) r = sys(SYS_setresuid, uid, uid, uid);
  if (r == 0) r = sys(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
  return (int)r;
}

int step_caps(ChildContext*, const Step* s) {
  uint64_t eff = (uint64_t)s->ints[0], perm = (uint64_t)s->ints[1];
  uint64_t inh = (uint64_t)s->ints[2], amb = (uint64_t)s->ints[3];
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
      {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
      {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
  };
  long r = sys(SYS_capset, &hdr, data);
  if (r < 0) return (int)r;
  r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (long cap = 0; r == 0 && cap < 64; cap++)
    if (amb & (1ull << cap)) r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  return (int)r;
}

int step_umask(ChildContext*, const Step* s) {
  sys(SYS_umask, (long)s->ints[0]);
  return 0;
}

int step_no_new_privs(ChildContext*, const Step*) { return (int)sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

// runc's order: try the cwd before switching user (soft), and once more
// after it if that failed (a directory only the user may enter).
int step_chdir(ChildContext* c, const Step* s) {
  bool soft = s->ints[0] != 0;
  if (!soft && c->cwd_errno == 0) return 0;
  int r = (int)sys(SYS_chdir, s->groups[0][0]);
  if (soft) {
    c->cwd_errno = r;  // 0 = done
    return 0;
  }
  return r;
}

}  // namespace child
