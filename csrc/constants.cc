// Constants from the real kernel headers, exported so TypeScript never
// re-types a number.
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "child/plan.h"
#include "constants.h"

namespace ociish {

#define SET(obj, name) obj.Set(#name, Napi::Number::New(env, (double)(name)))

Napi::Object Constants(Napi::Env env) {
  Napi::Object all = Napi::Object::New(env);

  Napi::Object clone = Napi::Object::New(env);
  SET(clone, CLONE_NEWNS);
  SET(clone, CLONE_NEWUTS);
  SET(clone, CLONE_NEWIPC);
  SET(clone, CLONE_NEWUSER);
  SET(clone, CLONE_NEWPID);
  SET(clone, CLONE_NEWNET);
  SET(clone, CLONE_NEWCGROUP);
  SET(clone, CLONE_NEWTIME);
  all.Set("clone", clone);

  Napi::Object mount = Napi::Object::New(env);
  SET(mount, MS_RDONLY);
  SET(mount, MS_NOSUID);
  SET(mount, MS_NODEV);
  SET(mount, MS_NOEXEC);
  SET(mount, MS_SYNCHRONOUS);
  SET(mount, MS_REMOUNT);
  SET(mount, MS_MANDLOCK);
  SET(mount, MS_DIRSYNC);
  SET(mount, MS_NOSYMFOLLOW);
  SET(mount, MS_NOATIME);
  SET(mount, MS_NODIRATIME);
  SET(mount, MS_BIND);
  SET(mount, MS_MOVE);
  SET(mount, MS_REC);
  SET(mount, MS_SILENT);
  SET(mount, MS_UNBINDABLE);
  SET(mount, MS_PRIVATE);
  SET(mount, MS_SLAVE);
  SET(mount, MS_SHARED);
  SET(mount, MS_RELATIME);
  SET(mount, MS_I_VERSION);
  SET(mount, MS_STRICTATIME);
  SET(mount, MS_LAZYTIME);
  SET(mount, MOUNT_ATTR_RDONLY);
  SET(mount, MOUNT_ATTR_NOSUID);
  SET(mount, MOUNT_ATTR_NODEV);
  SET(mount, MOUNT_ATTR_NOEXEC);
  SET(mount, MOUNT_ATTR__ATIME);
  SET(mount, MOUNT_ATTR_RELATIME);
  SET(mount, MOUNT_ATTR_NOATIME);
  SET(mount, MOUNT_ATTR_STRICTATIME);
  SET(mount, MOUNT_ATTR_NODIRATIME);
  SET(mount, MOUNT_ATTR_NOSYMFOLLOW);
  all.Set("mount", mount);

  Napi::Object rlimit = Napi::Object::New(env);
  SET(rlimit, RLIMIT_CPU);
  SET(rlimit, RLIMIT_FSIZE);
  SET(rlimit, RLIMIT_DATA);
  SET(rlimit, RLIMIT_STACK);
  SET(rlimit, RLIMIT_CORE);
  SET(rlimit, RLIMIT_RSS);
  SET(rlimit, RLIMIT_NPROC);
  SET(rlimit, RLIMIT_NOFILE);
  SET(rlimit, RLIMIT_MEMLOCK);
  SET(rlimit, RLIMIT_AS);
  SET(rlimit, RLIMIT_LOCKS);
  SET(rlimit, RLIMIT_SIGPENDING);
  SET(rlimit, RLIMIT_MSGQUEUE);
  SET(rlimit, RLIMIT_NICE);
  SET(rlimit, RLIMIT_RTPRIO);
  SET(rlimit, RLIMIT_RTTIME);
  all.Set("rlimit", rlimit);

  Napi::Object caps = Napi::Object::New(env);
#define CAPS(X)                                                                                                  \
  X(CAP_CHOWN) X(CAP_DAC_OVERRIDE) X(CAP_DAC_READ_SEARCH) X(CAP_FOWNER) X(CAP_FSETID) X(CAP_KILL) X(CAP_SETGID)   \
  X(CAP_SETUID) X(CAP_SETPCAP) X(CAP_LINUX_IMMUTABLE) X(CAP_NET_BIND_SERVICE) X(CAP_NET_BROADCAST)                \
  X(CAP_NET_ADMIN) X(CAP_NET_RAW) X(CAP_IPC_LOCK) X(CAP_IPC_OWNER) X(CAP_SYS_MODULE) X(CAP_SYS_RAWIO)             \
  X(CAP_SYS_CHROOT) X(CAP_SYS_PTRACE) X(CAP_SYS_PACCT) X(CAP_SYS_ADMIN) X(CAP_SYS_BOOT) X(CAP_SYS_NICE)           \
  X(CAP_SYS_RESOURCE) X(CAP_SYS_TIME) X(CAP_SYS_TTY_CONFIG) X(CAP_MKNOD) X(CAP_LEASE) X(CAP_AUDIT_WRITE)          \
  X(CAP_AUDIT_CONTROL) X(CAP_SETFCAP) X(CAP_MAC_OVERRIDE) X(CAP_MAC_ADMIN) X(CAP_SYSLOG) X(CAP_WAKE_ALARM)        \
  X(CAP_BLOCK_SUSPEND) X(CAP_AUDIT_READ) X(CAP_PERFMON) X(CAP_BPF) X(CAP_CHECKPOINT_RESTORE)
#define CAP_SET(name) caps.Set(#name, Napi::Number::New(env, (double)(name)));
  CAPS(CAP_SET)
#undef CAP_SET
  all.Set("capabilities", caps);

  Napi::Object mode = Napi::Object::New(env);
  SET(mode, S_IFCHR);
  SET(mode, S_IFBLK);
  SET(mode, S_IFIFO);
  SET(mode, S_IFREG);
  SET(mode, S_IFDIR);
  SET(mode, S_IFMT);
  all.Set("mode", mode);

  Napi::Object steps = Napi::Object::New(env);
#define STEP_SET(name, value) steps.Set(#name, Napi::Number::New(env, value));
  OCIISH_STEP_LIST(STEP_SET)
#undef STEP_SET
  all.Set("steps", steps);

  Napi::Object msgs = Napi::Object::New(env);
#define MSG_SET(name, value) msgs.Set(#name, Napi::Number::New(env, value));
  OCIISH_MSG_LIST(MSG_SET)
#undef MSG_SET
  all.Set("messages", msgs);

  Napi::Object plan = Napi::Object::New(env);
  plan.Set("MAGIC", Napi::Number::New(env, OCIISH_PLAN_MAGIC));
  plan.Set("VERSION", Napi::Number::New(env, OCIISH_PLAN_VERSION));
  plan.Set("MAX_GROUPS", Napi::Number::New(env, OCIISH_MAX_GROUPS));
  all.Set("plan", plan);
  return all;
}

}  // namespace ociish
