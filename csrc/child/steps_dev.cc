// Device nodes, symlinks and small file writes inside the container.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

// Splits "/dev/net/tun" into a resolved, created parent ("/dev/net") and the
// last component ("tun").
int open_parent(ChildContext* c, const char* path, int* parent_fd, char* name, size_t name_cap) {
  size_t len = slen(path);
  while (len > 1 && path[len - 1] == '/') len--;
  size_t slash = len;
  while (slash > 0 && path[slash - 1] != '/') slash--;
  size_t nlen = len - slash;
  if (nlen == 0 || nlen >= name_cap) return -EINVAL;
  for (size_t i = 0; i < nlen; i++) name[i] = path[slash + i];
  name[nlen] = 0;
  char dir[4096];
  if (slash >= sizeof dir) return -ENAMETOOLONG;
  for (size_t i = 0; i < slash; i++) dir[i] = path[i];
  dir[slash] = 0;
  if (slash == 0) {
    dir[0] = '/';
    dir[1] = 0;
  }
  return mkdirs_in_root(c->root_fd, dir, 1, parent_fd);
}

}  // namespace

int step_mknod(ChildContext* c, const Step* s) {
  unsigned mode = (unsigned)s->ints[0];
  dev_t dev = makedev((unsigned)s->ints[1], (unsigned)s->ints[2]);
  long uid = (long)s->ints[3], gid = (long)s->ints[4];
  bool bind = s->ints[5] != 0;
  const char* dest = s->groups[0][0];
  const char* host_path = s->groups[0][1];
  int parent;
  char name[256];
  int r = open_parent(c, dest, &parent, name, sizeof name);
  if (r < 0) return r;
  long m;
  if (bind) {
    // In a user namespace mknod is not allowed: bind the host's node instead.
    m = sys(SYS_openat, parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (m >= 0) {
      sys(SYS_close, m);
      m = sys(SYS_openat, parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (m >= 0) {
        char target[64];
        fd_path((int)m, target, sizeof target);
        long b = sys(SYS_mount, host_path, target, 0, MS_BIND, 0);
        sys(SYS_close, m);
        m = b;
      }
    }
  } else {
    m = sys(SYS_mknodat, parent, name, mode, dev);
  }
  if (m == -EEXIST) {
    // An existing node is fine only if it is the same device; it is left as
    // it is (it may be the image's, or a bind's).
    struct stat st;
    m = sys(SYS_newfstatat, parent, name, &st, AT_SYMLINK_NOFOLLOW);
    if (m == 0 && ((st.st_mode & S_IFMT) != (mode & S_IFMT) || st.st_rdev != dev)) m = -EEXIST;
    sys(SYS_close, parent);
    return (int)m;
  }
  if (m == 0 && !bind) m = sys(SYS_fchownat, parent, name, uid, gid, AT_SYMLINK_NOFOLLOW);
  // The setup's umask is 0 (run_plan), so mknodat gave the permission bits
  // asked for; only setuid/setgid/sticky bits may need a chmod.
  if (m == 0 && !bind && (mode & 07000)) m = sys(SYS_fchmodat, parent, name, mode & 07777, 0);
  sys(SYS_close, parent);
  return (int)m;
}

int step_symlink(ChildContext* c, const Step* s) {
  bool ignore_existing = s->ints[0] != 0;
  const char* target = s->groups[0][0];
  const char* dest = s->groups[0][1];
  int parent;
  char name[256];
  int r = open_parent(c, dest, &parent, name, sizeof name);
  if (r < 0) return r;
  long m = sys(SYS_symlinkat, target, parent, name);
  sys(SYS_close, parent);
  if (m == -EEXIST && ignore_existing) return 0;
  return (int)m;
}

int step_write_file(ChildContext* c, const Step* s) {
  bool in_root = s->ints[0] != 0;
  long fs_magic = (long)s->ints[1];
  const char* path = s->groups[0][0];
  const char* content = s->groups[0][1];
  // Opened O_PATH first: the filesystem is checked before anything that
  // could block (a FIFO the image put there) or write to the wrong file.
  long fd = in_root ? open_in_root(c->root_fd, path, O_PATH) : sys(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return (int)fd;
  long r = 0;
  struct statfs st;
  struct stat sb;
  if (fs_magic) {
    // e.g. a sysctl must land in the container's procfs, not in an image file.
    r = sys(SYS_fstatfs, fd, &st);
    if (r == 0 && (long)st.f_type != fs_magic) r = -EXDEV;
  }
  if (r == 0) r = sys(SYS_fstat, fd, &sb);
  if (r == 0 && !S_ISREG(sb.st_mode)) r = -EINVAL;
  if (r == 0) {
    char self[64];
    fd_path((int)fd, self, sizeof self);
    long wfd = sys(SYS_openat, AT_FDCWD, self, O_WRONLY | O_CLOEXEC);
    sys(SYS_close, fd);
    if (wfd < 0) return (int)wfd;
    fd = wfd;
  }
  size_t len = slen(content), done = 0;
  while (r == 0 && done < len) {
    long n = sys(SYS_write, fd, content + done, len - done);
    if (n == -EINTR) continue;
    if (n < 0) r = n;
    else done += (size_t)n;
  }
  sys(SYS_close, fd);
  return (int)r;
}

}  // namespace child
