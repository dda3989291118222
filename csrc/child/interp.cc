// The plan interpreter: the first code the container child runs.
#include <fcntl.h>
#include <linux/prctl.h>
#include <signal.h>
#include <sys/socket.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

// The kernel's struct sigaction layout for rt_sigaction.
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};

// Node installs handlers and ignores SIGPIPE; both would survive into the
// container (an ignored signal survives execve). Reset every signal.
void reset_signals() {
  KernelSigaction dfl = {};  // SIG_DFL
  for (int sig = 1; sig < 65; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sys(SYS_rt_sigaction, sig, &dfl, 0, 8);
  }
}

typedef int (*StepFn)(ChildContext*, const Step*);

StepFn step_fn(uint32_t op) {
  switch (op) {
    case STEP_SETNS: return step_setns;
    case STEP_SETNS_PID: return step_setns_pid;
    case STEP_SESSION_KEYRING: return step_session_keyring;
    case STEP_UNSHARE: return step_unshare;
    case STEP_SYNC_IDMAPS: return step_sync_idmaps;
    case STEP_SYNC_CGROUPS: return step_sync_cgroups;
    case STEP_ENTER_CGROUP: return step_enter_cgroup;
    case STEP_SET_ROOT_IDS: return step_set_root_ids;
    case STEP_ROOTFS: return step_rootfs;
    case STEP_MOUNT: return step_mount;
    case STEP_MKNOD: return step_mknod;
    case STEP_SYMLINK: return step_symlink;
    case STEP_MASK: return step_mask;
    case STEP_READONLY: return step_readonly;
    case STEP_PIVOT_ROOT: return step_pivot_root;
    case STEP_ROOT_READONLY: return step_root_readonly;
    case STEP_ROOT_PROPAGATION: return step_root_propagation;
    case STEP_HOSTNAME: return step_hostname;
    case STEP_DOMAINNAME: return step_domainname;
    case STEP_WRITE_FILE: return step_write_file;
    case STEP_LOOPBACK_UP: return step_loopback_up;
    case STEP_RLIMIT: return step_rlimit;
    case STEP_CAP_BOUNDING: return step_cap_bounding;
    case STEP_SET_USER: return step_set_user;
    case STEP_CAPS: return step_caps;
    case STEP_UMASK: return step_umask;
    case STEP_NO_NEW_PRIVS: return step_no_new_privs;
    case STEP_CHDIR: return step_chdir;
    case STEP_BARRIER: return step_barrier;
    case STEP_EXEC: return step_exec;
    case STEP_FORK_INIT: return step_fork_init;
    case STEP_MKDIR: return step_mkdir;
    case STEP_SECCOMP: return step_seccomp;
    case STEP_OPEN_BARRIER: return step_open_barrier;
    case STEP_CHECK_EXEC: return step_check_exec;
    case STEP_CONSOLE: return step_console;
    case STEP_SYNC_HOOKS: return step_sync_hooks;
    case STEP_STDIN_DATA: return step_stdin_data;
  }
  return nullptr;
}

}  // namespace

// After a fifo barrier the sync socket is closed (fd -1): nobody listens,
// and saying nothing is not a failure.
int send_msg(int fd, uint32_t kind, int32_t step, int64_t value) {
  if (fd < 0) return 0;
  SyncMsg m = {kind, step, value};
  long r;
  do {
    r = sys(SYS_sendto, fd, &m, sizeof m, MSG_NOSIGNAL, 0, 0);
  } while (r == -EINTR);
  return r < 0 ? (int)r : 0;
}

// The message with one fd attached (SCM_RIGHTS); the parent gets its own copy.
int send_msg_fd(int fd, uint32_t kind, int32_t step, int64_t value, int passed_fd) {
  if (fd < 0) return 0;
  SyncMsg m = {kind, step, value};
  struct iovec iov = {&m, sizeof m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control = {};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof control.buf;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  *reinterpret_cast<int*>(CMSG_DATA(cm)) = passed_fd;  // right after the aligned header
  long r;
  do {
    r = sys(SYS_sendmsg, fd, &mh, MSG_NOSIGNAL);
  } while (r == -EINTR);
  return r < 0 ? (int)r : 0;
}

int recv_msg(int fd, SyncMsg* out) {
  long r;
  do {
    r = sys(SYS_recvfrom, fd, out, sizeof *out, 0, 0, 0);
  } while (r == -EINTR);
  if (r < 0) return (int)r;
  if (r != (long)sizeof *out) return -EPIPE;  // parent gone (EOF) or garbage
  return 0;
}

int wait_go(int fd) {
  SyncMsg m;
  int r = recv_msg(fd, &m);
  if (r < 0) return r;
  if (m.kind == MSG_ABORT) return -(int)m.value;
  return m.kind == MSG_GO ? 0 : -EPROTO;
}

int handshake(ChildContext* c, uint32_t kind) {
  int r = send_msg(c->sync_fd, kind, (int32_t)c->step, 0);
  return r < 0 ? r : wait_go(c->sync_fd);
}

namespace {

int run_steps(ChildContext* c, uint32_t first) {
  for (uint32_t i = first; i < c->nsteps; i++) {
    c->step = i;
    const Step* s = &c->steps[i];
    StepFn fn = step_fn(s->op);
    int r = fn ? fn(c, s) : -ENOSYS;
    if (r == kStepDone) return 0;
    if (r < 0) {
      send_msg(c->sync_fd, MSG_ERROR, (int32_t)i, -r);
      return 1;
    }
  }
  // A plan always ends with EXEC; reaching here means it did not.
  send_msg(c->sync_fd, MSG_ERROR, (int32_t)c->nsteps, ENOEXEC);
  return 1;
}

// The fds the runtime chose for the container's stdio become 0, 1 and 2.
// Each is first copied above min_fd, so one given as another's target (e.g.
// stdout as stderr) is still there when its turn comes; the copies go with
// the close_range that follows.
int set_stdio(ChildContext* c) {
  int copies[3];
  for (int i = 0; i < 3; i++) {
    copies[i] = -1;
    if (c->stdio[i] < 0) continue;
    long fd = sys(SYS_fcntl, c->stdio[i], F_DUPFD_CLOEXEC, c->min_fd);
    if (fd < 0) return (int)fd;
    copies[i] = (int)fd;
  }
  for (int i = 0; i < 3; i++) {
    if (copies[i] < 0) continue;
    long r = sys(SYS_dup3, copies[i], i, 0);
    if (r < 0) return (int)r;
  }
  return 0;
}

}  // namespace

int run_plan(void* context) {
  ChildContext* c = static_cast<ChildContext*>(context);
  if (c->own_memory) {
    if (!watch_parent(c)) return 1;  // the runtime died during the clone
    // Our memory is our own: not dumpable, so nothing in the container can
    // read or ptrace what is left of the runtime in it.
    sys(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
    drop_runtime_memory(c);
  }
  sys(SYS_close, c->parent_sync_fd);
  int r = set_stdio(c);
  if (r < 0) {
    send_msg(c->sync_fd, MSG_ERROR, -1, -r);
    return 1;
  }
  // Every other fd of the runtime's (state-dir locks, sockets, libuv's) is
  // closed now, not at execve: a child may wait at the barrier for long,
  // and a lock it held would stall every command on the container.
  if (c->sync_fd > c->min_fd) sys(SYS_close_range, c->min_fd, c->sync_fd - 1, 0);
  sys(SYS_close_range, c->sync_fd + 1, ~0u, 0);
  reset_signals();
  sys(SYS_umask, 0);  // device and file modes exactly as asked; UMASK sets the process's
  // Under CLONE_VM, not dumpable while it shares the runtime's memory:
  // spawn.cc sets that on the shared memory map before the clone.
  return run_steps(c, 0);
}

int resume_plan(void* context) {
  ChildContext* c = static_cast<ChildContext*>(context);
  // The init's parent is the runtime (CLONE_PARENT): same watch as the first child's.
  if (c->own_memory && !watch_parent(c)) return 1;
  return run_steps(c, c->step + 1);
}

}  // namespace child
