// The plan ABI shared by the TypeScript encoder (lib/plan/encode.ts) and the
// child interpreter. The addon exports these numbers (constants.cc), so the
// TypeScript side never re-types them.
//
// Encoded form (little-endian, produced by TypeScript):
//   header: u32 magic, u32 version, u32 nsteps, u32 reserved
//   step:   u32 op, u32 origin, u32 nints, u32 ngroups,
//           i64 ints[nints],
//           ngroups x { u32 count, count NUL-terminated strings },
//           zero padding to a multiple of 8
// `origin` is opaque to C: TypeScript uses it to map a failed step back to
// the config.json location it came from.
#pragma once

#include <stdint.h>

#define OCIISH_PLAN_MAGIC 0x5043494fu  // "OICP"
#define OCIISH_PLAN_VERSION 1u
#define OCIISH_MAX_GROUPS 4
#define OCIISH_MAX_KEEP 16  // memory ranges an own-memory child keeps

// Step kinds. Arguments: ints[...] / strs = group 0 [...].
#define OCIISH_STEP_LIST(X)                                                                   \
  X(SETNS, 1)           /* ints[nstype] strs[path] */                                        \
  X(UNSHARE, 2)         /* ints[flags] */                                                    \
  X(SYNC_IDMAPS, 3)     /* ask the parent to write uid/gid maps, wait for its go */           \
  X(SET_ROOT_IDS, 4)    /* become uid/gid 0 of the new user namespace */                     \
  X(ROOTFS, 5)          /* ints[propagation] strs[rootfs,private parent]: bind, open root */ \
  X(MOUNT, 6)           /* ints[flags,propagation,attr_set,attr_clr,rattr_set,rattr_clr,    \
                                create,copy_up] */                                                  \
                        /* strs[source,dest,fstype,data] */                                  \
  X(MKNOD, 7)           /* ints[mode,major,minor,uid,gid,bind] strs[dest,host path] */      \
  X(SYMLINK, 8)         /* ints[ignore_existing] strs[target,dest] */                        \
  X(MASK, 9)            /* strs[dest] */                                                     \
  X(READONLY, 10)       /* strs[dest] */                                                     \
  X(PIVOT_ROOT, 11)     /* */                                                                \
  X(ROOT_READONLY, 12)  /* */                                                                \
  X(ROOT_PROPAGATION, 13) /* ints[flags] */                                                  \
  X(HOSTNAME, 14)       /* strs[name] */                                                     \
  X(DOMAINNAME, 15)     /* strs[name] */                                                     \
  X(WRITE_FILE, 16)     /* ints[in_root,fs_magic] strs[path,content] */                                             \
  X(LOOPBACK_UP, 17)    /* */                                                                \
  X(RLIMIT, 18)         /* ints[resource,soft,hard] */                                       \
  X(CAP_BOUNDING, 19)   /* ints[keep mask,last cap] */                                       \
  X(SET_USER, 20)       /* ints[uid,gid,set_groups,groups...] */                             \
  X(CAPS, 21)           /* ints[effective,permitted,inheritable,ambient] */                  \
  X(UMASK, 22)          /* ints[mask] */                                                     \
  X(NO_NEW_PRIVS, 23)   /* */                                                                \
  X(CHDIR, 24)          /* ints[soft] strs[path] */                                          \
  X(BARRIER, 25)        /* tell the parent we are ready, wait for its go */                  \
  X(EXEC, 26)           /* ints[preserved fds,path lookup] groups[args,env,path dirs] */ \
  X(FORK_INIT, 27)      /* clone the container's init (CLONE_PARENT), which runs the rest */ \
  X(MKDIR, 28)          /* strs[dest]: create a directory (and parents) inside the root */ \
  X(SYNC_CGROUPS, 29)   /* ints[part]: ask the parent to put us in our cgroups (1), wait for its go (2), both (0 or none) */ \
  X(SECCOMP, 30)        /* ints[flags,listener,insn...]: each insn slot holds one sock_filter */ \
  X(OPEN_BARRIER, 31)   /* strs[path]: open the start fifo (first step: a host path) */ \
  X(CHECK_EXEC, 32)     /* ints[path lookup] groups[[file],path dirs]: EXEC's lookup, no execve */ \
  X(CONSOLE, 33)        /* ints[set size,rows,cols]: a pty of the container's devpts as stdio */ \
  X(SYNC_HOOKS, 34)     /* ask the parent to run its hooks, wait for its go */ \
  X(STDIN_DATA, 36)     /* strs[data]: stdin becomes a pipe holding data (a hook's state JSON) */ \
  X(SETNS_PID, 37)      /* ints[pid,flags]: join those namespaces of a process at once (pidfd) */ \
  X(SESSION_KEYRING, 38) /* strs[name]: join a new session keyring of that name */ \
  X(ENTER_CGROUP, 39)   /* strs[tasks file]: move ourselves into a v1 cgroup (write "0" to its tasks) */

enum StepOp : uint32_t {
#define OCIISH_STEP_ENUM(name, value) STEP_##name = value,
  OCIISH_STEP_LIST(OCIISH_STEP_ENUM)
#undef OCIISH_STEP_ENUM
};

// Messages on the sync socket (SOCK_SEQPACKET), both directions.
#define OCIISH_MSG_LIST(X)                                  \
  X(ERROR, 1)   /* child: step failed; step, value=errno */ \
  X(IDMAPS, 2)  /* child: write my uid/gid maps now */      \
  X(GO, 3)      /* parent: carry on */                      \
  X(READY, 4)   /* child: waiting at the start barrier */   \
  X(ABORT, 5)   /* parent: give up (value=errno) */  \
  X(PID, 6)     /* child: FORK_INIT made the init, value=its pid */ \
  X(EXEC, 7)    /* child: setup done, execve next (EOF without it: setup died) */ \
  X(CGROUPS, 8) /* child: write my pid into my cgroups now */ \
  X(SECCOMP, 9) /* child: the seccomp listener fd (SCM_RIGHTS), value=its number; wait for go */ \
  X(WAITING, 10) /* child: at the fifo barrier; the sync socket closes next */ \
  X(CONSOLE, 11) /* child: the pty master (SCM_RIGHTS), value=pts index; wait for go */ \
  X(HOOKS, 12)   /* child: run the hooks now (before pivot_root) */

enum MsgKind : uint32_t {
#define OCIISH_MSG_ENUM(name, value) MSG_##name = value,
  OCIISH_MSG_LIST(OCIISH_MSG_ENUM)
#undef OCIISH_MSG_ENUM
};

struct SyncMsg {
  uint32_t kind;
  int32_t step;
  int64_t value;
};

// A step after linking: the parent points straight into its copy of the plan.
struct Step {
  uint32_t op;
  uint32_t origin;
  uint32_t nints;
  uint32_t ngroups;
  const int64_t* ints;
  char* const* groups[OCIISH_MAX_GROUPS];  // each NULL-terminated
  uint32_t counts[OCIISH_MAX_GROUPS];
};

// Everything the child reads. Lives in memory the parent maps for the child
// and keeps until the child has exec'd or died.
struct ChildContext {
  const Step* steps;
  uint32_t nsteps;
  int min_fd;         // fds the child keeps open sit at or above this (past --preserve-fds)
  int sync_fd;        // child's end of the sync socket (CLOEXEC)
  int parent_sync_fd; // the parent's end: closed first, so the child sees EOF if the parent dies
  int root_fd;        // O_PATH fd of the rootfs, set by ROOTFS
  int devnull_fd;     // verified host /dev/null, opened by the first MASK
  int cwd_errno;      // 1 = not tried, 0 = done, <0 = a soft CHDIR's failure
  uint32_t step;      // the step running now (FORK_INIT's init resumes after it)
  char* init_stack;   // FORK_INIT's stack for the init (the child's own is elsewhere)
  uint64_t init_stack_size;
  int barrier_fd;     // the start fifo (OPEN_BARRIER), or -1
  int parent_pid;     // the runtime's pid, recorded before the clone
  int stdio[3];       // fds (the runtime's numbers) to become 0, 1 and 2; -1 keeps the inherited one
  uint64_t page_size;
  // Own memory (no CLONE_VM): the child unmaps everything but these ranges
  // (page-aligned [start, end), sorted: the arena and the addon's segments).
  uint32_t own_memory;
  uint32_t nkeep;
  uint64_t keep[OCIISH_MAX_KEEP][2];
};
