// The spawn core: links an encoded plan into memory the child can read,
// clones the child (CLONE_VM, own stack, CLONE_PIDFD, namespace flags) and
// hands back its pid, pidfd and the parent's end of the sync socket.
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bindings.h"
#include "child/child.h"
#include "errors.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace ociish {

namespace {

constexpr size_t kStackSize = 256 * 1024;

// One mapping per child: [guard page][init stack][stack][ChildContext, Steps,
// pointers, plan]; the init stack is for FORK_INIT (untouched pages cost nothing).
// It must outlive the child's use of it: released once the child has exec'd
// or died (or never, for a child left waiting when the runtime exits).
struct Arena {
  void* base = nullptr;
  size_t size = 0;
  ChildContext* context = nullptr;
  char* stack_top = nullptr;
};

size_t Align(size_t n) { return (n + 15) & ~size_t(15); }

// Under AddressSanitizer: a child that execs (or is killed) never returns
// from its instrumented frames, so their redzones stay poisoned in the shadow
// of the arena's stack. Clear the shadow whenever the mapping changes hands,
// or the next mapping at that address inherits false reports.
void Unpoison(void* base, size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __asan_unpoison_memory_region(base, size);
#else
  (void)base;
  (void)size;
#endif
}

void Unmap(void* base, size_t size) {
  Unpoison(base, size);
  munmap(base, size);
}

struct Reader {
  const uint8_t* p;
  size_t len, off = 0;
  bool ok = true;
  uint32_t U32() {
    if (off + 4 > len) return ok = false, 0;
    uint32_t v;
    memcpy(&v, p + off, 4);
    off += 4;
    return v;
  }
};

// Checks the encoded plan and counts what linking needs.
bool Measure(const uint8_t* data, size_t len, uint32_t* nsteps, size_t* npointers, std::string* why) {
  Reader r{data, len};
  if (r.U32() != OCIISH_PLAN_MAGIC) return *why = "bad magic", false;
  if (r.U32() != OCIISH_PLAN_VERSION) return *why = "unsupported version", false;
  *nsteps = r.U32();
  r.U32();
  *npointers = 0;
  for (uint32_t i = 0; i < *nsteps && r.ok; i++) {
    r.U32();  // op
    r.U32();  // origin
    uint32_t nints = r.U32(), ngroups = r.U32();
    if (ngroups > OCIISH_MAX_GROUPS) return *why = "too many groups", false;
    if (r.off + (size_t)nints * 8 > len) return *why = "truncated ints", false;
    r.off += (size_t)nints * 8;
    for (uint32_t g = 0; g < ngroups && r.ok; g++) {
      uint32_t count = r.U32();
      *npointers += (size_t)count + 1;
      for (uint32_t k = 0; k < count; k++) {
        const void* nul = r.off < len ? memchr(data + r.off, 0, len - r.off) : nullptr;
        if (!nul) return *why = "unterminated string", false;
        r.off = (size_t)((const uint8_t*)nul - data) + 1;
      }
    }
    r.off = (r.off + 7) & ~size_t(7);
  }
  if (!r.ok || r.off != len) return *why = "malformed plan", false;
  return true;
}

// Points the Step array at the plan copy (already validated by Measure).
void Link(uint8_t* copy, size_t len, Step* steps, char** pointers) {
  Reader r{copy, len};
  r.off = 16;
  uint32_t n = 0;
  memcpy(&n, copy + 8, 4);
  for (uint32_t i = 0; i < n; i++) {
    Step* s = &steps[i];
    s->op = r.U32();
    s->origin = r.U32();
    s->nints = r.U32();
    s->ngroups = r.U32();
    s->ints = reinterpret_cast<const int64_t*>(copy + r.off);
    r.off += (size_t)s->nints * 8;
    for (uint32_t g = 0; g < OCIISH_MAX_GROUPS; g++) {
      s->groups[g] = pointers;
      s->counts[g] = 0;
      if (g >= s->ngroups) continue;
      uint32_t count = r.U32();
      s->counts[g] = count;
      for (uint32_t k = 0; k < count; k++) {
        *pointers++ = reinterpret_cast<char*>(copy + r.off);
        r.off += strlen(reinterpret_cast<char*>(copy + r.off)) + 1;
      }
      *pointers++ = nullptr;
    }
    r.off = (r.off + 7) & ~size_t(7);
  }
}

// Groups past ngroups point at a shared NULL so every step reads as having
// OCIISH_MAX_GROUPS (empty) groups.
Arena* BuildArena(Napi::Env env, const uint8_t* plan, size_t len) {
  uint32_t nsteps;
  size_t npointers;
  std::string why;
  if (len % 8 != 0) why = "length is not a multiple of 8";
  if (!why.empty() || !Measure(plan, len, &nsteps, &npointers, &why))
    throw Napi::Error::New(env, "spawn: invalid plan: " + why);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  npointers += 1;  // the shared NULL for absent groups
  size_t data = Align(sizeof(ChildContext)) + Align(nsteps * sizeof(Step)) + Align(npointers * sizeof(char*)) + len;
  size_t size = page + 2 * kStackSize + ((data + page - 1) & ~(page - 1));
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) ThrowErrno(env, "mmap");
  Unpoison(base, size);
  mprotect(base, page, PROT_NONE);  // the init stack overflows into a fault, not into other memory
  Arena* a = new Arena;
  a->base = base;
  a->size = size;
  char* init_stack = static_cast<char*>(base) + page;
  uint8_t* p = static_cast<uint8_t*>(base) + page + 2 * kStackSize;
  a->stack_top = reinterpret_cast<char*>(p);
  a->context = reinterpret_cast<ChildContext*>(p);
  p += Align(sizeof(ChildContext));
  Step* steps = reinterpret_cast<Step*>(p);
  p += Align(nsteps * sizeof(Step));
  char** pointers = reinterpret_cast<char**>(p);
  p += Align(npointers * sizeof(char*));
  memcpy(p, plan, len);
  pointers[0] = nullptr;
  Link(p, len, steps, pointers + 1);
  for (uint32_t i = 0; i < nsteps; i++)
    for (uint32_t g = steps[i].ngroups; g < OCIISH_MAX_GROUPS; g++) steps[i].groups[g] = pointers;
  ChildContext* c = a->context;
  c->steps = steps;
  c->nsteps = nsteps;
  c->root_fd = -1;
  c->devnull_fd = -1;
  c->cwd_errno = 1;
  c->init_stack = init_stack;
  c->init_stack_size = kStackSize;
  return a;
}

void FreeArena(Arena* a) {
  if (a->base) Unmap(a->base, a->size);
  delete a;
}

// While a child shares our memory it must not be ptraced or read through
// /proc by anyone but us; "dumpable" belongs to the memory map, so it is
// cleared here, in the runtime, while any child lives in an arena, and
// restored when the last arena is released.
int live_arenas = 0;
int saved_dumpable = 1;

void ArenaInUse() {
  if (live_arenas++ == 0) {
    saved_dumpable = prctl(PR_GET_DUMPABLE);
    prctl(PR_SET_DUMPABLE, 0);
  }
}

void ArenaDone() {
  if (--live_arenas == 0) prctl(PR_SET_DUMPABLE, saved_dumpable);
}

// spawn(plan: Buffer, cloneFlags: number, cgroupFd: number, minFd: number) ->
//   { pid, pidfd, syncFd, arena }
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "argument 'plan' must be a Buffer");
  Napi::Buffer<uint8_t> plan = info[0].As<Napi::Buffer<uint8_t>>();
  uint64_t ns_flags = (uint64_t)IntArg(info, 1, "cloneFlags");
  int cgroup_fd = (int)IntArg(info, 2, "cgroupFd");
  // The fds handed to the container (stdio, --preserve-fds) end below min_fd;
  // the child keeps its own above it.
  int min_fd = info.Length() > 3 ? (int)IntArg(info, 3, "minFd") : 3;
  if (min_fd < 3) min_fd = 3;

  Arena* arena = BuildArena(env, plan.Data(), plan.Length());
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    int err = errno;
    FreeArena(arena);
    ThrowError(env, err, "socketpair");
  }
  if (sv[1] < min_fd) {
    int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, min_fd);
    int err = errno;
    close(sv[1]);
    if (moved < 0) {
      close(sv[0]);
      FreeArena(arena);
      ThrowError(env, err, "fcntl");
    }
    sv[1] = moved;
  }
  arena->context->min_fd = min_fd;
  arena->context->sync_fd = sv[1];
  arena->context->parent_sync_fd = sv[0];
  ArenaInUse();

  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_VM | CLONE_PIDFD | ns_flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = (uint64_t)(uintptr_t)&pidfd;
  args.exit_signal = SIGCHLD;
  args.stack = (uint64_t)(uintptr_t)(arena->stack_top - kStackSize);
  args.stack_size = kStackSize;
  args.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;

  // No signal may run a Node handler in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = ociish_clone3_run(&args, sizeof args, child::run_plan, arena->context);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    FreeArena(arena);
    ArenaDone();
    ThrowError(env, (int)-pid, "clone3");
  }

  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, (double)pid));
  o.Set("pidfd", Napi::Number::New(env, pidfd));
  o.Set("syncFd", Napi::Number::New(env, sv[0]));
  // The finalizer frees only the bookkeeping: the mapping itself goes with
  // releaseArena, never with GC (a child may still run in it).
  o.Set("arena", Napi::External<Arena>::New(env, arena, [](Napi::Env, Arena* a) { delete a; }));
  return o;
}

// Frees the child's memory; call only once the child has exec'd or died.
Napi::Value ReleaseArena(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "argument 'arena' must be a spawn arena");
  Arena* a = info[0].As<Napi::External<Arena>>().Data();
  if (a->base) {
    ArenaDone();
    Unmap(a->base, a->size);
    a->base = nullptr;
  }
  return info.Env().Undefined();
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("releaseArena", Napi::Function::New(env, ReleaseArena, "releaseArena"));
}

}  // namespace ociish
