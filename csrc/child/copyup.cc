// tmpcopyup (a runc/crun extension): fill a freshly mounted tmpfs with what
// its destination directory held in the rootfs. Everything is relative to
// directory fds (the one kept on the covered directory and the new mount's
// root), O_NOFOLLOW throughout: no path is ever joined from the image's names.
#include <fcntl.h>
#include <sys/stat.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

constexpr int kMaxDepth = 32;  // each level holds two fds and ~1.3 KiB of stack

struct Dirent64 {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  uint8_t type;
  char name[1];
};

// Shared by every level (on the caller's stack): the read/write fallback and readlink.
struct CopyBuffers {
  char data[8192];
  char link[4096];
};

bool dot_or_dotdot(const char* n) { return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0)); }

int copy_data(int in, int out, CopyBuffers* b) {
  for (;;) {  // sendfile: file to file in the kernel, any filesystems
    long n = sys(SYS_sendfile, out, in, 0, 1L << 30);
    if (n == 0) return 0;
    if (n > 0 || n == -EINTR) continue;
    if (n != -EINVAL && n != -ENOSYS) return (int)n;
    break;
  }
  for (;;) {
    long n = sys(SYS_read, in, b->data, sizeof b->data);
    if (n == -EINTR) continue;
    if (n <= 0) return (int)n;
    for (long done = 0; done < n;) {
      long w = sys(SYS_write, out, b->data + done, n - done);
      if (w == -EINTR) continue;
      if (w < 0) return (int)w;
      done += w;
    }
  }
}

// An owner the user namespace cannot map (EINVAL) stays root's, as a copy by
// an unprivileged cp would; anything else is an error.
int chown_result(long r) { return r == -EINVAL ? 0 : (int)r; }

// Owner, mode, then times (a chown clears set-id bits, a write moves mtime).
int copy_meta_fd(int fd, const struct stat* st) {
  int r = chown_result(sys(SYS_fchown, fd, st->st_uid, st->st_gid));
  if (r == 0) r = (int)sys(SYS_fchmod, fd, st->st_mode & 07777);
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (r == 0) r = (int)sys(SYS_utimensat, fd, 0, times, 0);
  return r;
}

int copy_meta_at(int dir, const char* name, const struct stat* st, bool link) {
  int r = chown_result(sys(SYS_fchownat, dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW));
  // Not a symlink (just made by us in a tmpfs nothing else sees yet): fchmodat may follow.
  if (r == 0 && !link) r = (int)sys(SYS_fchmodat, dir, name, st->st_mode & 07777);
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (r == 0) r = (int)sys(SYS_utimensat, dir, name, times, AT_SYMLINK_NOFOLLOW);
  return r;
}

int copy_file(int src_dir, int dst_dir, const char* name, CopyBuffers* b) {
  long in = sys(SYS_openat, src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (in < 0) return (int)in;
  struct stat st;
  long r = sys(SYS_fstat, in, &st);
  if (r == 0 && !S_ISREG(st.st_mode)) r = -EAGAIN;  // changed under us
  long out = r == 0 ? sys(SYS_openat, dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : r;
  if (out >= 0) {
    r = copy_data((int)in, (int)out, b);
    if (r == 0) r = copy_meta_fd((int)out, &st);
    sys(SYS_close, out);
  } else {
    r = out;
  }
  sys(SYS_close, in);
  return (int)r;
}

int copy_tree(int src, int dst, int depth, CopyBuffers* b);

int copy_subdir(int src_dir, int dst_dir, const char* name, int depth, CopyBuffers* b) {
  if (depth >= kMaxDepth) return -ELOOP;
  long in = sys(SYS_openat, src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return (int)in;
  struct stat st;
  long r = sys(SYS_fstat, in, &st);
  if (r == 0) r = sys(SYS_mkdirat, dst_dir, name, 0700);
  long out = r == 0 ? sys(SYS_openat, dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : r;
  if (out >= 0) {
    r = copy_tree((int)in, (int)out, depth + 1, b);
    if (r == 0) r = copy_meta_fd((int)out, &st);  // last: the copy moved its mtime
    sys(SYS_close, out);
  } else {
    r = out;
  }
  sys(SYS_close, in);
  return (int)r;
}

int copy_entry(int src, int dst, const char* name, int depth, CopyBuffers* b) {
  struct stat st;
  long r = sys(SYS_newfstatat, src, name, &st, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return (int)r;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: return copy_file(src, dst, name, b);
    case S_IFDIR: return copy_subdir(src, dst, name, depth, b);
    case S_IFLNK: {
      long n = sys(SYS_readlinkat, src, name, b->link, sizeof b->link - 1);
      if (n < 0) return (int)n;
      b->link[n] = 0;
      r = sys(SYS_symlinkat, b->link, dst, name);
      if (r < 0) return (int)r;
      return copy_meta_at(dst, name, &st, true);
    }
    default: {  // fifo, socket, device
      r = sys(SYS_mknodat, dst, name, st.st_mode & (S_IFMT | 07777), st.st_rdev);
      // A user namespace cannot make devices: leave those out, as an unprivileged cp would fail to.
      if (r == -EPERM && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return 0;
      if (r < 0) return (int)r;
      return copy_meta_at(dst, name, &st, false);
    }
  }
}

int copy_tree(int src, int dst, int depth, CopyBuffers* b) {
  alignas(8) char buf[1024];
  for (;;) {
    long n = sys(SYS_getdents64, src, buf, sizeof buf);
    if (n <= 0) return (int)n;
    for (long off = 0; off < n;) {
      const Dirent64* d = (const Dirent64*)(buf + off);
      off += d->reclen;
      if (dot_or_dotdot(d->name)) continue;
      int r = copy_entry(src, dst, d->name, depth, b);
      if (r < 0) return r;
    }
  }
}

}  // namespace

int copy_up(int src_dir, int dst_dir) {
  CopyBuffers b;
  return copy_tree(src_dir, dst_dir, 0, &b);
}

}  // namespace child
