// execve and its check at create time. Both find the file the same way:
// as given, or in each PATH directory as execvp does (ENOENT and ENOTDIR go
// on to the next directory, EACCES is remembered, anything else stops).
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/stat.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

typedef long (*TryPath)(const char* path, const void* arg);

int find_exec(const char* file, bool lookup, char* const* dirs, uint32_t ndirs, TryPath try_path, const void* arg) {
  if (!lookup) return (int)try_path(file, arg);
  bool eacces = false;
  char path[4096];
  for (uint32_t i = 0; i < ndirs; i++) {
    size_t len = 0;
    path[0] = 0;
    const char* dir = dirs[i][0] ? dirs[i] : ".";
    if (!sappend(path, sizeof path, &len, dir) || !sappend(path, sizeof path, &len, "/") ||
        !sappend(path, sizeof path, &len, file))
      continue;
    long r = try_path(path, arg);
    if (r == 0) return 0;
    if (r == -EACCES) eacces = true;
    else if (r != -ENOENT && r != -ENOTDIR) return (int)r;
  }
  return eacces ? -EACCES : -ENOENT;
}

struct ExecArgs {
  char* const* argv;
  char* const* envp;
};

long try_execve(const char* path, const void* arg) {
  const ExecArgs* a = static_cast<const ExecArgs*>(arg);
  return sys(SYS_execve, path, a->argv, a->envp);
}

#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

// What execve would say short of running the file: ENOENT/ENOTDIR for a
// missing one, EACCES for a directory, a special file or no execute right.
// With the effective ids and capabilities (AT_EACCESS), as execve checks.
long try_access(const char* path, const void*) {
  struct stat st;
  long r = sys(SYS_newfstatat, AT_FDCWD, path, &st, 0);
  if (r < 0) return r;
  if (!S_ISREG(st.st_mode)) return -EACCES;
  r = sys(SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS);
  if (r == -ENOSYS) r = sys(SYS_faccessat, AT_FDCWD, path, X_OK);  // before Linux 5.8
  return r;
}

}  // namespace

// ints[path lookup] groups[[file], path dirs]: a missing entrypoint fails
// `create` rather than `start`, as with runc.
int step_check_exec(ChildContext*, const Step* s) {
  return find_exec(s->groups[0][0], s->ints[0] != 0, s->groups[1], s->counts[1], try_access, nullptr);
}

int step_exec(ChildContext* c, const Step* s) {
  long preserved = (long)s->ints[0];
  bool lookup = s->ints[1] != 0;
  // Every fd but stdio and the preserved ones closes at execve (the sync
  // socket too, which tells the parent the exec happened).
  long r = sys(SYS_close_range, 3 + preserved, ~0u, CLOSE_RANGE_CLOEXEC);
  if (r < 0) return (int)r;
  // Node marks its stdio close-on-exec; stdio and preserved fds must reach
  // the container (the fd flag is ours, the open file stays untouched).
  for (long fd = 0; fd < 3 + preserved; fd++) sys(SYS_fcntl, fd, F_SETFD, 0);
  // From here only execve can fail: tell the parent, so that an EOF without
  // this message means the setup died (killed) rather than exec'd.
  r = send_msg(c->sync_fd, MSG_EXEC, (int32_t)c->step, 0);
  if (r < 0) return (int)r;
  uint64_t empty = 0;
  sys(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
  ExecArgs a = {s->groups[0], s->groups[1]};
  // groups[3], when given, is the file to run, apart from argv[0] (a hook's path).
  const char* file = s->counts[3] > 0 ? s->groups[3][0] : a.argv[0];
  return find_exec(file, lookup, s->groups[2], s->counts[2], try_execve, &a);
}

// Stdin becomes the read end of a pipe that already holds the data and is
// closed for writing: the process reads it, then EOF (a hook's state JSON;
// the pipe is grown to hold it, up to /proc/sys/fs/pipe-max-size).
int step_stdin_data(ChildContext*, const Step* s) {
  const char* data = s->groups[0][0];
  size_t len = slen(data);
  int fds[2];
  long r = sys(SYS_pipe2, fds, O_CLOEXEC);
  if (r < 0) return (int)r;
  // Nobody reads before the exec: the pipe must hold it all (large annotations).
  if (len > 65536) r = sys(SYS_fcntl, fds[1], F_SETPIPE_SZ, len);
  for (size_t off = 0; r >= 0 && off < len; off += (size_t)r) {
    r = sys(SYS_write, fds[1], data + off, len - off);
    if (r == 0) r = -EPIPE;
  }
  sys(SYS_close, fds[1]);
  if (r >= 0) r = sys(SYS_dup3, fds[0], 0, 0);
  sys(SYS_close, fds[0]);
  return r < 0 ? (int)r : 0;
}

}  // namespace child
