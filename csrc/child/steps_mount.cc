// Mount steps: the rootfs, config.json's mounts, masked and read-only paths,
// pivot_root. Targets are resolved inside the root (fs.cc) and mounted onto
// the resolved fd through /proc/self/fd/N, never onto a joined string.
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "child.h"
#include "sys.h"

namespace child {

namespace {

struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

long sys_mount(const char* src, const char* target, const char* type, unsigned long flags, const char* data) {
  return sys(SYS_mount, src, target, type, flags, data);
}

int set_attrs(int fd, uint64_t set, uint64_t clr, bool recursive) {
  if (!set && !clr) return 0;
  MountAttr a = {set, clr, 0, 0};
  return (int)sys(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a);
}

const char* nonempty(const char* s) { return s && s[0] ? s : nullptr; }

// A bind as a detached copy of the source (open_tree), given its flags
// there and then attached onto the target fd (move_mount): no /proc/self/fd
// paths to resolve and no lookup of the new mount to set its flags (half
// the syscalls and time of mount(2) + reopen + mount_setattr).
int bind_tree(int src_fd, int target_fd, bool recursive, uint64_t set, uint64_t clr, uint64_t rset, uint64_t rclr) {
  long tree = sys(SYS_open_tree, src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0) return (int)tree;
  int r = set_attrs((int)tree, set, clr, false);
  if (r == 0) r = set_attrs((int)tree, rset, rclr, true);
  if (r == 0) r = (int)sys(SYS_move_mount, tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  sys(SYS_close, tree);
  return r;
}

}  // namespace

int step_rootfs(ChildContext* c, const Step* s) {
  long propagation = (long)s->ints[0];
  const char* rootfs = s->groups[0][0];
  const char* private_parent = nonempty(s->groups[0][1]);
  // The whole tree gets the configured propagation (rslave by default) before
  // anything is mounted, so our mounts do not reach the host.
  long r = sys_mount(nullptr, "/", nullptr, MS_REC | propagation, nullptr);
  if (r < 0) return (int)r;
  // Under a shared "/", the mount holding the rootfs is made private first,
  // as runc does: the rootfs bind must not propagate to the host, and
  // pivot_root refuses a new root whose parent mount is shared.
  if (private_parent) {
    r = sys_mount(nullptr, private_parent, nullptr, MS_PRIVATE, nullptr);
    if (r < 0) return (int)r;
  }
  r = sys_mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr);
  if (r < 0) return (int)r;
  r = sys(SYS_openat, AT_FDCWD, rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r < 0) return (int)r;
  r = keep_fd(c, (int)r);
  if (r < 0) return (int)r;
  c->root_fd = (int)r;
  return 0;
}

int step_mkdir(ChildContext* c, const Step* s) {
  int fd;
  int r = mkdirs_in_root(c->root_fd, s->groups[0][0], 1, &fd);
  if (r == 0) sys(SYS_close, fd);
  return r;
}

int step_mount(ChildContext* c, const Step* s) {
  unsigned long flags = (unsigned long)s->ints[0];
  unsigned long propagation = (unsigned long)s->ints[1];
  uint64_t attr_set = (uint64_t)s->ints[2], attr_clr = (uint64_t)s->ints[3];
  uint64_t rattr_set = (uint64_t)s->ints[4], rattr_clr = (uint64_t)s->ints[5];
  int create = (int)s->ints[6];
  bool copy_up_into = s->nints > 7 && s->ints[7] && !(flags & (MS_BIND | MS_REMOUNT));
  const char* source = nonempty(s->groups[0][0]);
  const char* dest = s->groups[0][1];
  const char* fstype = nonempty(s->groups[0][2]);
  const char* data = nonempty(s->groups[0][3]);

  // A bind's source is opened first: a missing source then fails before
  // anything is created in the rootfs, and what is bound is what was checked.
  int src_fd = -1;
  char src_path[64];
  if (flags & MS_BIND) {
    src_fd = (int)sys(SYS_openat, AT_FDCWD, source, O_PATH | O_CLOEXEC);
    if (src_fd < 0) return src_fd;
    fd_path(src_fd, src_path, sizeof src_path);
    source = src_path;
    fstype = nullptr;
  }
  int fd;
  int r = mkdirs_in_root(c->root_fd, dest, create, &fd);
  if (r < 0) {
    if (src_fd >= 0) sys(SYS_close, src_fd);
    return r;
  }
  // tmpcopyup: keep a handle on the directory the tmpfs is about to cover.
  // The tmpfs is mounted writable for the copy; "ro" becomes a per-mount
  // attribute after it.
  int under_fd = -1;
  if (copy_up_into) {
    under_fd = (int)sys(SYS_openat, fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (under_fd < 0) {
      sys(SYS_close, fd);
      return under_fd;
    }
    if (flags & MS_RDONLY) {
      flags &= ~(unsigned long)MS_RDONLY;
      attr_set |= MOUNT_ATTR_RDONLY;
    }
  }
  char target[64];
  fd_path(fd, target, sizeof target);
  if (src_fd >= 0 && !(flags & MS_REMOUNT)) {
    int r2 = bind_tree(src_fd, fd, (flags & MS_REC) != 0, attr_set, attr_clr, rattr_set, rattr_clr);
    sys(SYS_close, fd);
    sys(SYS_close, src_fd);
    if (r2 < 0 || !propagation) return r2;
    attr_set = attr_clr = rattr_set = rattr_clr = 0;  // set on the tree already
  } else {
    long m = sys_mount(source, target, fstype, flags, data);
    sys(SYS_close, fd);
    if (src_fd >= 0) sys(SYS_close, src_fd);
    if (m < 0) {
      if (under_fd >= 0) sys(SYS_close, under_fd);
      return (int)m;
    }
  }
  if (under_fd >= 0) {
    int top = open_in_root(c->root_fd, dest, O_RDONLY | O_DIRECTORY);
    r = top < 0 ? top : copy_up(under_fd, top);
    if (top >= 0) sys(SYS_close, top);
    sys(SYS_close, under_fd);
    if (r < 0) return r;
  }
  if (!propagation && !attr_set && !attr_clr && !rattr_set && !rattr_clr) return 0;

  // Reopen: the fd above names the directory under the new mount.
  fd = open_in_root(c->root_fd, dest, O_PATH);
  if (fd < 0) return fd;
  fd_path(fd, target, sizeof target);
  r = 0;
  if (propagation) r = (int)sys_mount(nullptr, target, nullptr, propagation, nullptr);
  // Per-mount flags on a bind (ro, nosuid, ...) and the recursive r* forms:
  // mount_setattr changes just these and keeps flags the kernel locked.
  if (r == 0) r = set_attrs(fd, attr_set, attr_clr, false);
  if (r == 0) r = set_attrs(fd, rattr_set, rattr_clr, true);
  sys(SYS_close, fd);
  return r;
}

int step_mask(ChildContext* c, const Step* s) {
  const char* dest = s->groups[0][0];
  int fd = open_in_root(c->root_fd, dest, O_PATH);
  if (fd == -ENOENT || fd == -ENOTDIR) return 0;  // nothing there to hide
  if (fd < 0) return fd;
  struct stat st;
  long r = sys(SYS_fstat, fd, &st);
  char target[64];
  fd_path(fd, target, sizeof target);
  if (r == 0 && S_ISDIR(st.st_mode)) {
    r = sys_mount("tmpfs", target, "tmpfs", MS_RDONLY, nullptr);
  } else if (r == 0) {
    if (c->devnull_fd < 0) {
      // Bind only the real /dev/null (the 2025 masked-path advisory).
      long nfd = sys(SYS_openat, AT_FDCWD, "/dev/null", O_PATH | O_CLOEXEC);
      if (nfd < 0) {
        sys(SYS_close, fd);
        return (int)nfd;
      }
      struct stat ns;
      r = sys(SYS_fstat, nfd, &ns);
      if (r == 0 && (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))) r = -ENODEV;
      if (r < 0) {
        sys(SYS_close, nfd);
        sys(SYS_close, fd);
        return (int)r;
      }
      nfd = keep_fd(c, (int)nfd);
      if (nfd < 0) {
        sys(SYS_close, fd);
        return (int)nfd;
      }
      c->devnull_fd = (int)nfd;
    }
    r = bind_tree(c->devnull_fd, fd, false, 0, 0, 0, 0);
  }
  sys(SYS_close, fd);
  return (int)r;
}

int step_readonly(ChildContext* c, const Step* s) {
  const char* dest = s->groups[0][0];
  int fd = open_in_root(c->root_fd, dest, O_PATH);
  if (fd == -ENOENT || fd == -ENOTDIR) return 0;
  if (fd < 0) return fd;
  // Bound onto itself, read-only (recursively) before it is attached.
  int r = bind_tree(fd, fd, true, 0, 0, MOUNT_ATTR_RDONLY, 0);
  sys(SYS_close, fd);
  return r;
}

int step_pivot_root(ChildContext* c, const Step*) {
  long old_root = sys(SYS_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (old_root < 0) return (int)old_root;
  long r = sys(SYS_fchdir, c->root_fd);
  if (r == 0) r = sys(SYS_pivot_root, ".", ".");
  // The old root now sits under the new one: from inside it (so the new
  // tree keeps its own propagation), make it a slave, so the unmount does
  // not propagate anywhere, and detach it.
  if (r == 0) r = sys(SYS_fchdir, old_root);
  if (r == 0) r = sys_mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr);
  if (r == 0) r = sys(SYS_umount2, ".", MNT_DETACH);
  if (r == 0) r = sys(SYS_chdir, "/");
  sys(SYS_close, old_root);
  return (int)r;
}

int step_root_readonly(ChildContext*, const Step*) {
  MountAttr a = {MOUNT_ATTR_RDONLY, 0, 0, 0};
  return (int)sys(SYS_mount_setattr, AT_FDCWD, "/", 0, &a, sizeof a);
}

int step_root_propagation(ChildContext*, const Step* s) {
  return (int)sys_mount(nullptr, "/", nullptr, (unsigned long)s->ints[0], nullptr);
}

}  // namespace child
