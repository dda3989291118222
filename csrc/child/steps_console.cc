// process.terminal: a pseudo-terminal of the container's own devpts (after
// pivot_root), the peer as the process's stdio and controlling terminal,
// the master handed to the runtime (which passes it to --console-socket).
#include <fcntl.h>
#include <sys/ioctl.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

// The peer as stdio and controlling terminal of a new session.
int attach_peer(int peer) {
  if (sys(SYS_setsid) < 0) return -EPERM;
  long r = sys(SYS_ioctl, peer, TIOCSCTTY, 0);
  for (int fd = 0; r >= 0 && fd < 3; fd++)
    if (fd != peer) r = sys(SYS_dup3, peer, fd, 0);
  return r < 0 ? (int)r : 0;
}

}  // namespace

// ints[set size, rows, cols]
int step_console(ChildContext* c, const Step* s) {
  long master = sys(SYS_openat, AT_FDCWD, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return (int)master;
  int unlock = 0;
  unsigned int index = 0;
  long r = sys(SYS_ioctl, master, TIOCSPTLCK, &unlock);
  if (r == 0) r = sys(SYS_ioctl, master, TIOCGPTN, &index);
  if (r == 0 && s->ints[0]) {
    struct winsize ws = {};
    ws.ws_row = (unsigned short)s->ints[1];
    ws.ws_col = (unsigned short)s->ints[2];
    r = sys(SYS_ioctl, master, TIOCSWINSZ, &ws);
  }
  // TIOCGPTPEER opens the peer through the master, not by a path the
  // container's /dev could redirect.
  long peer = r == 0 ? sys(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC) : r;
  if (peer >= 0) {
    r = attach_peer((int)peer);
    if (peer > 2) sys(SYS_close, peer);
  } else {
    r = peer;
  }
  if (r == 0) r = send_msg_fd(c->sync_fd, MSG_CONSOLE, (int32_t)c->step, (int64_t)index, (int)master);
  // The container must not inherit the master; the runtime has its own copy.
  sys(SYS_close, master);
  return r < 0 ? (int)r : wait_go(c->sync_fd);
}

}  // namespace child
