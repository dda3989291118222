// The seccomp step: loads the classic BPF program lib/seccomp compiled and,
// for a profile with notify actions, hands the listener fd to the parent.
// Every system call after the load is filtered, this step's own included.
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "child.h"
#include "sys.h"

namespace child {

static_assert(sizeof(struct sock_filter) == sizeof(int64_t), "one sock_filter per plan int slot");

// ints[flags, listener, insn...]: the insn slots are the sock_filter array
// as is (the encoder copies the program's bytes there).
int step_seccomp(ChildContext* c, const Step* s) {
  if (s->nints < 2) return -EINVAL;
  uint32_t len = s->nints - 2;
  if (len > 0xffff) return -EINVAL;  // sock_fprog.len is 16 bits; the kernel caps it lower anyway
  struct sock_fprog prog = {};
  prog.len = (unsigned short)len;
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<int64_t*>(s->ints + 2));
  bool listener = s->ints[1] != 0;
  unsigned long flags = (unsigned long)s->ints[0] | (listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long r = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0) return (int)r;
  // Without a listener, success is 0; a positive value is TSYNC naming a
  // thread it could not sync (we have none, but do not call that success).
  if (!listener) return r == 0 ? 0 : -ESRCH;
  int fd = (int)r;
  int err = send_msg_fd(c->sync_fd, MSG_SECCOMP, (int32_t)c->step, fd, fd);
  // The container must not inherit our copy. Closed before the wait: a
  // notified syscall of ours then waits on the parent's copy alone, and
  // fails (ENOSYS) once nobody holds one, instead of waiting on ourselves.
  sys(SYS_close, fd);
  if (err == 0) err = wait_go(c->sync_fd);
  return err;
}

}  // namespace child
