// Resolving paths inside the container's root. A path from config.json may
// cross symlinks the image controls (rootfs/proc -> /etc); openat2 with
// RESOLVE_IN_ROOT keeps every lookup inside the root, and directories are
// created one component at a time under an already-resolved parent.
#include <fcntl.h>
#include <linux/openat2.h>

#include "child.h"
#include "sys.h"

namespace child {

int open_in_root(int root_fd, const char* path, int flags) {
  struct open_how how = {};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long r;
  do {
    r = sys(SYS_openat2, root_fd, path, &how, sizeof how);
  } while (r == -EAGAIN || r == -EINTR);  // EAGAIN: a concurrent rename; retry
  return (int)r;
}

int fd_path(int fd, char* buf, unsigned long cap) {
  size_t len = 0;
  buf[0] = 0;
  if (!sappend(buf, cap, &len, "/proc/self/fd/") || !sappend_uint(buf, cap, &len, (unsigned long)fd)) return -ENAMETOOLONG;
  return 0;
}

// Opens `path` inside the root as O_PATH, creating what is missing: every
// missing parent as a directory and the last component as a directory
// (last_kind 1) or an empty file (last_kind 2); last_kind 0 creates nothing.
int mkdirs_in_root(int root_fd, const char* path, int last_kind, int* out_fd) {
  int fd = open_in_root(root_fd, path, O_PATH);
  if (fd >= 0) {
    *out_fd = fd;
    return 0;
  }
  if (fd != -ENOENT || last_kind == 0) return fd;
  char prefix[4096];
  size_t plen = slen(path);
  if (plen >= sizeof prefix) return -ENAMETOOLONG;
  int parent = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
  if (parent < 0) return parent;
  size_t i = 0;
  while (i < plen) {
    while (i < plen && path[i] == '/') i++;
    if (i >= plen) break;
    size_t start = i;
    while (i < plen && path[i] != '/') i++;
    bool last = true;
    for (size_t j = i; j < plen; j++)
      if (path[j] != '/') last = false;
    for (size_t j = 0; j < i; j++) prefix[j] = path[j];
    prefix[i] = 0;
    fd = open_in_root(root_fd, prefix, O_PATH);
    if (fd == -ENOENT) {
      char name[256];
      size_t nlen = i - start;
      if (nlen >= sizeof name) {
        sys(SYS_close, parent);
        return -ENAMETOOLONG;
      }
      for (size_t j = 0; j < nlen; j++) name[j] = path[start + j];
      name[nlen] = 0;
      long r;
      if (last && last_kind == 2) {
        r = sys(SYS_openat, parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0) sys(SYS_close, r);
      } else {
        r = sys(SYS_mkdirat, parent, name, 0755);
      }
      if (r < 0 && r != -EEXIST) {
        sys(SYS_close, parent);
        return (int)r;
      }
      fd = open_in_root(root_fd, prefix, O_PATH);
    }
    sys(SYS_close, parent);
    if (fd < 0) return fd;
    parent = fd;
  }
  *out_fd = parent;
  return 0;
}

}  // namespace child
