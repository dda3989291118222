// A child cloned without CLONE_VM (one meant to outlive the runtime process,
// e.g. at a fifo start barrier): it starts with a copy of Node's whole
// address space, of which it needs only its arena (stack, context, plan) and
// the addon's own code and data. It drops the rest, so a created container
// holds a few pages instead of Node's heap.
#include <linux/prctl.h>
#include <signal.h>

#include "child.h"
#include "sys.h"

namespace child {

// getppid answers 0 from inside a new pid namespace (the parent is outside
// it): nothing to compare there, and a dead runtime shows later as EOF or
// EPIPE on the sync socket.
bool parent_alive(const ChildContext* c) {
  long ppid = sys(SYS_getppid);
  return ppid == 0 || ppid == c->parent_pid;
}

// PDEATHSIG first, then the check: a runtime that died before the prctl has
// already reparented us, which getppid shows.
bool watch_parent(ChildContext* c) {
  sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  return parent_alive(c);
}

void drop_runtime_memory(const ChildContext* c) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer's shadow memory and runtime live in what would go.
  (void)c;
#else
  if (c->nkeep == 0) return;  // the runtime could not say where our code is
  uint64_t page = c->page_size;
  uint64_t cur = page;  // nothing is ever mapped at page 0
  for (uint32_t i = 0; i < c->nkeep; i++) {
    if (c->keep[i][0] > cur) sys(SYS_munmap, cur, c->keep[i][0] - cur);
    if (c->keep[i][1] > cur) cur = c->keep[i][1];
  }
  // The top of the user address space depends on the kernel's paging mode
  // (x86_64: 47 or 56 bits less a page; aarch64: 39 to 52 bits); munmap
  // refuses (EINVAL, unmapping nothing) a range past it, so try from the
  // largest down. What lies above ([vsyscall]) is not ours to unmap.
  const int shifts[] = {56, 52, 48, 47, 42, 39, 36};
  for (int shift : shifts) {
    uint64_t limit = 1ull << shift;
    if (limit - page <= cur) continue;
    if (sys(SYS_munmap, cur, limit - cur) == 0) return;
    if (sys(SYS_munmap, cur, limit - page - cur) == 0) return;
  }
#endif
}

}  // namespace child
