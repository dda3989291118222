// The start barrier: the last wait before exec. Either a handshake with the
// parent on the sync socket (READY, then GO), or, for a container that must
// outlive the runtime process (`create`, then `start` from another one), a
// fifo the runtime made: the child reports WAITING, lets go of the runtime
// and blocks until someone writes one byte to the fifo.
#include <fcntl.h>
#include <linux/prctl.h>
#include <signal.h>
#include <sys/stat.h>

#include "child.h"
#include "sys.h"

namespace child {

// First in the plan: the path is a host path (before any pivot_root or id
// change). O_RDWR, so the open never waits for a writer, and a reader never
// sees EOF while the fifo waits for `start`.
int step_open_barrier(ChildContext* c, const Step* s) {
  long fd = sys(SYS_openat, AT_FDCWD, s->groups[0][0], O_RDWR | O_CLOEXEC);
  if (fd < 0) return (int)fd;
  struct stat st;
  long r = sys(SYS_fstat, fd, &st);
  if (r == 0 && !S_ISFIFO(st.st_mode)) r = -EINVAL;
  if (r < 0) {
    sys(SYS_close, fd);
    return (int)r;
  }
  fd = keep_fd(c, (int)fd);
  if (fd < 0) return (int)fd;
  c->barrier_fd = (int)fd;
  return 0;
}

int step_barrier(ChildContext* c, const Step*) {
  if (c->barrier_fd < 0) return handshake(c, MSG_READY);
  int r = send_msg(c->sync_fd, MSG_WAITING, (int32_t)c->step, 0);
  if (r < 0) return r;  // EPIPE: the runtime is gone; nobody would start us
  // Outliving the runtime is the point from here. PDEATHSIG goes before the
  // runtime sees EOF, or a runtime that exits right after could still kill us.
  sys(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (!parent_alive(c)) return -ESRCH;
  sys(SYS_close, c->sync_fd);
  c->sync_fd = -1;  // later messages (EXEC's, an exec error) go nowhere
  // A created container dies of a signal as a running one would (its
  // handlers are the defaults; a pid namespace's init ignores the rest).
  uint64_t empty = 0;
  sys(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
  char byte;
  long n;
  do {
    n = sys(SYS_read, c->barrier_fd, &byte, 1);
  } while (n == -EINTR);
  sys(SYS_close, c->barrier_fd);
  c->barrier_fd = -1;
  if (n == 1) return 0;
  return n < 0 ? (int)n : -EPIPE;
}

}  // namespace child
