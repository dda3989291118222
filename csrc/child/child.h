// The container child: entry point, clone trampoline and one function per
// step kind. Every function returns 0 or -errno and uses raw syscalls only
// (no allocation, locks, exceptions, stdio or libc wrappers that set errno).
#pragma once

#include "plan.h"

extern "C" {
// clone3(args, size); the new task runs fn(arg) on the stack given in args and
// exits with its return value. Returns the child's pid (or -errno) in the parent.
long ociish_clone3_run(void* clone_args, unsigned long size, int (*fn)(void*), void* arg);
}

namespace child {

// Runs the plan; never returns on success (execve), returns an exit code otherwise.
int run_plan(void* context);
// FORK_INIT's init: runs the steps after the current one.
int resume_plan(void* context);

// Own memory (no CLONE_VM): dies with the runtime (PDEATHSIG), returns false
// if the runtime is already gone; own_memory.cc.
bool watch_parent(ChildContext* c);
// Still the runtime's child (where getppid can tell: not from a new pid namespace).
bool parent_alive(const ChildContext* c);
// Unmaps all but the arena and the addon's own segments.
void drop_runtime_memory(const ChildContext* c);

// A step returns this to end the child successfully (FORK_INIT, in the parent side).
constexpr int kStepDone = 1;

// Paths inside the container's root (fs.cc).
int open_in_root(int root_fd, const char* path, int flags);
int mkdirs_in_root(int root_fd, const char* path, int last_kind, int* out_fd);
int fd_path(int fd, char* buf, unsigned long cap);
// Moves an fd the child keeps to c->min_fd or above (CLOEXEC), out of the
// range --preserve-fds hands to the container; returns the new fd or -errno.
int keep_fd(ChildContext* c, int fd);
// tmpcopyup: copies the tree under the directory fd `src` into `dst` (copyup.cc).
int copy_up(int src, int dst);

int step_setns(ChildContext* c, const Step* s);
int step_setns_pid(ChildContext* c, const Step* s);
int step_session_keyring(ChildContext* c, const Step* s);
int step_unshare(ChildContext* c, const Step* s);
int step_sync_idmaps(ChildContext* c, const Step* s);
int step_sync_cgroups(ChildContext* c, const Step* s);
int step_enter_cgroup(ChildContext* c, const Step* s);
int step_set_root_ids(ChildContext* c, const Step* s);
int step_hostname(ChildContext* c, const Step* s);
int step_domainname(ChildContext* c, const Step* s);
int step_loopback_up(ChildContext* c, const Step* s);
int step_sync_hooks(ChildContext* c, const Step* s);
int step_open_barrier(ChildContext* c, const Step* s);
int step_barrier(ChildContext* c, const Step* s);

int step_rootfs(ChildContext* c, const Step* s);
int step_mount(ChildContext* c, const Step* s);
int step_mask(ChildContext* c, const Step* s);
int step_readonly(ChildContext* c, const Step* s);
int step_pivot_root(ChildContext* c, const Step* s);
int step_root_readonly(ChildContext* c, const Step* s);
int step_root_propagation(ChildContext* c, const Step* s);

int step_mknod(ChildContext* c, const Step* s);
int step_symlink(ChildContext* c, const Step* s);
int step_write_file(ChildContext* c, const Step* s);

int step_rlimit(ChildContext* c, const Step* s);
int step_cap_bounding(ChildContext* c, const Step* s);
int step_set_user(ChildContext* c, const Step* s);
int step_caps(ChildContext* c, const Step* s);
int step_umask(ChildContext* c, const Step* s);
int step_no_new_privs(ChildContext* c, const Step* s);
int step_chdir(ChildContext* c, const Step* s);
int step_check_exec(ChildContext* c, const Step* s);
int step_exec(ChildContext* c, const Step* s);
int step_stdin_data(ChildContext* c, const Step* s);
int step_console(ChildContext* c, const Step* s);
int step_fork_init(ChildContext* c, const Step* s);
int step_mkdir(ChildContext* c, const Step* s);
int step_seccomp(ChildContext* c, const Step* s);

// /proc/self/setgroups says "deny".
bool setgroups_denied();

// Sync socket messages.
int send_msg(int fd, uint32_t kind, int32_t step, int64_t value);
int send_msg_fd(int fd, uint32_t kind, int32_t step, int64_t value, int passed_fd);
int recv_msg(int fd, SyncMsg* out);
// Waits for the parent's answer to a request: 0 on GO, -errno on ABORT.
int wait_go(int fd);
// Tells the parent `kind` (for the step running now) and waits for its answer.
int handshake(ChildContext* c, uint32_t kind);

}  // namespace child
