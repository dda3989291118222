// Resolving paths inside the container's root. A path from config.json may
// cross symlinks the image controls (rootfs/proc -> /etc); openat2 with
// RESOLVE_IN_ROOT keeps every lookup inside the root, and directories are
// created one component at a time under an already-resolved parent.
#include <fcntl.h>
#include <linux/openat2.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

constexpr int kMaxLinks = 40;  // as the kernel's ELOOP limit

bool copy_str(char* dst, size_t cap, const char* src, size_t n) {
  if (n >= cap) return false;
  for (size_t i = 0; i < n; i++) dst[i] = src[i];
  dst[n] = 0;
  return true;
}

}  // namespace

int open_in_root(int root_fd, const char* path, int flags) {
  struct open_how how = {};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long r;
  int tries = 0;
  do {
    r = sys(SYS_openat2, root_fd, path, &how, sizeof how);
  } while ((r == -EAGAIN && ++tries < 32) || r == -EINTR);  // EAGAIN: a concurrent rename
  return (int)r;
}

int keep_fd(ChildContext* c, int fd) {
  if (fd < 0 || fd >= c->min_fd) return fd;
  long moved = sys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, c->min_fd);
  sys(SYS_close, fd);
  return (int)moved;
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
// A dangling symlink on the way is followed (inside the root) and its target
// created, as runc does.
int mkdirs_in_root(int root_fd, const char* path, int last_kind, int* out_fd) {
  int fd = open_in_root(root_fd, path, O_PATH);
  if (fd >= 0) {
    *out_fd = fd;
    return 0;
  }
  if (fd != -ENOENT || last_kind == 0) return fd;

  char cur[4096];  // the path being walked; rewritten when a symlink is followed
  if (!copy_str(cur, sizeof cur, path, slen(path))) return -ENAMETOOLONG;
  size_t missing = slen(cur);  // cur[0..missing) is known not to exist
  while (missing > 1 && cur[missing - 1] == '/') missing--;
  for (int links = 0; links <= kMaxLinks; links++) {
    // Start at the deepest ancestor that exists, found from the end: usually
    // the parent, so a missing mount point costs three lookups, not one per
    // component.
    size_t plen = slen(cur), i = plen;
    int parent = -1;
    while (parent < 0) {
      while (i > 0 && cur[i - 1] == '/') i--;
      while (i > 0 && cur[i - 1] != '/') i--;
      while (i > 1 && cur[i - 1] == '/') i--;
      if (i <= 1) {
        i = 0;
        parent = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
        if (parent < 0) return parent;
        break;
      }
      char prefix[4096];
      copy_str(prefix, sizeof prefix, cur, i);
      parent = open_in_root(root_fd, prefix, O_PATH);
      if (parent == -ENOENT) missing = i;
      else if (parent < 0) return parent;
    }
    bool restart = false;
    while (i < plen && !restart) {
      while (i < plen && cur[i] == '/') i++;
      if (i >= plen) break;
      size_t start = i;
      while (i < plen && cur[i] != '/') i++;
      bool last = true;
      for (size_t j = i; j < plen; j++)
        if (cur[j] != '/') last = false;
      char prefix[4096];
      copy_str(prefix, sizeof prefix, cur, i);
      fd = i == missing ? -ENOENT : open_in_root(root_fd, prefix, O_PATH);
      if (fd == -ENOENT) {
        char name[256];
        if (!copy_str(name, sizeof name, cur + start, i - start)) fd = -ENAMETOOLONG;
        long r = 0;
        if (fd == -ENOENT && last && last_kind == 2) {
          r = sys(SYS_openat, parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
          if (r >= 0) sys(SYS_close, r);
        } else if (fd == -ENOENT) {
          r = sys(SYS_mkdirat, parent, name, 0755);
        }
        if (fd == -ENOENT && r == -EEXIST) {
          // Present but unresolvable: a dangling symlink. Splice its target
          // in front of the rest of the path and walk again.
          char target[4096];
          long n = sys(SYS_readlinkat, parent, name, target, sizeof target - 1);
          if (n > 0) {
            char next[4096];
            size_t len = 0;
            next[0] = 0;
            target[n] = 0;
            bool ok = true;
            if (target[0] != '/') {  // relative to the symlink's directory
              ok = copy_str(next, sizeof next, cur, start);
              len = start;
            }
            ok = ok && sappend(next, sizeof next, &len, target) && sappend(next, sizeof next, &len, cur + i);
            if (!ok) fd = -ENAMETOOLONG;
            else {
              copy_str(cur, sizeof cur, next, len);
              missing = 0;  // nothing known about the new path
              restart = true;
              continue;
            }
          }
        } else if (fd == -ENOENT && r < 0) {
          fd = (int)r;
        }
        if (fd == -ENOENT) fd = open_in_root(root_fd, prefix, O_PATH);
      }
      sys(SYS_close, parent);
      if (fd < 0) return fd;
      parent = fd;
    }
    if (restart) {
      sys(SYS_close, parent);
      continue;
    }
    *out_fd = parent;
    return 0;
  }
  return -ELOOP;
}

}  // namespace child
