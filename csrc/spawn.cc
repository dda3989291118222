// The spawn core: links an encoded plan into memory the child can read,
// clones the child (CLONE_VM or a memory copy of its own, own stack,
// CLONE_PIDFD, namespace flags) and hands back its pid, pidfd and the
// parent's end of the sync socket.
#include <link.h>
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

// glibc 2.35+ registers an rseq area per thread and says where (weak: an
// older glibc registers none and lacks these).
extern "C" {
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
}

namespace ociish {

namespace {

constexpr size_t kStackSize = 256 * 1024;

// One mapping per child: [guard page][init stack][stack][ChildContext, Steps,
// pointers, plan]; the init stack is for FORK_INIT (untouched pages cost nothing).
// Under CLONE_VM it must outlive the child's use of it: released once the
// child has exec'd or died; a child with its own memory runs in a copy, so
// ours goes as soon as the clone returned.
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
  c->barrier_fd = -1;
  c->page_size = page;
  return a;
}

// The addon's own loaded segments (the object holding child::run_plan),
// page-aligned: what a child with its own memory keeps besides its arena.
struct Ranges {
  uint64_t r[OCIISH_MAX_KEEP][2];
  uint32_t n = 0;
};

int FindAddon(struct dl_phdr_info* info, size_t, void* data) {
  uintptr_t target = reinterpret_cast<uintptr_t>(&child::run_plan);
  bool ours = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && target >= start && target < start + ph.p_memsz) ours = true;
  }
  if (!ours) return 0;
  Ranges* out = static_cast<Ranges*>(data);
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  for (int i = 0; i < info->dlpi_phnum && out->n < OCIISH_MAX_KEEP - 2; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    uint64_t start = info->dlpi_addr + ph.p_vaddr;
    out->r[out->n][0] = start & ~(page - 1);
    out->r[out->n][1] = (start + ph.p_memsz + page - 1) & ~(page - 1);
    out->n++;
  }
  return 1;
}

const Ranges& AddonSegments() {
  static Ranges segments;
  static bool found = false;
  if (!found) {
    dl_iterate_phdr(FindAddon, &segments);
    found = true;
  }
  return segments;
}

// The arena, the addon's segments and this thread's rseq area, sorted by
// start: the child unmaps the gaps. A child cloned without CLONE_VM keeps
// the calling thread's rseq registration, and the kernel writes that area on
// every return to user space after a reschedule: unmapped, that is SIGSEGV.
// (It cannot be unregistered from the child: that needs the registered
// length, which glibc does not say.)
void SetKeepRanges(ChildContext* c, const Arena* a) {
  const Ranges& addon = AddonSegments();
  if (addon.n == 0) return;  // not found: nkeep 0, the child keeps everything
  uint64_t (*keep)[2] = c->keep;
  uint64_t page = c->page_size;
  uint32_t n = 0;
  keep[n][0] = (uint64_t)(uintptr_t)a->base;
  keep[n][1] = keep[n][0] + a->size;
  n++;
  if (&__rseq_size && &__rseq_offset && __rseq_size > 0) {
    uint64_t rseq = (uint64_t)(uintptr_t)__builtin_thread_pointer() + (uint64_t)__rseq_offset;
    uint64_t end = rseq + (__rseq_size > 256 ? __rseq_size : 256);  // the registration may exceed __rseq_size
    keep[n][0] = rseq & ~(page - 1);
    keep[n][1] = (end + page - 1) & ~(page - 1);
    n++;
  }
  for (uint32_t i = 0; i < addon.n; i++, n++) {
    keep[n][0] = addon.r[i][0];
    keep[n][1] = addon.r[i][1];
  }
  for (uint32_t i = 1; i < n; i++)
    for (uint32_t j = i; j > 0 && keep[j][0] < keep[j - 1][0]; j--) {
      uint64_t s0 = keep[j][0], s1 = keep[j][1];
      keep[j][0] = keep[j - 1][0];
      keep[j][1] = keep[j - 1][1];
      keep[j - 1][0] = s0;
      keep[j - 1][1] = s1;
    }
  c->nkeep = n;
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

// spawn(plan: Buffer, cloneFlags: number, cgroupFd: number, minFd: number,
//       ownMemory?: boolean, stdio?: [fd, fd, fd]) -> { pid, pidfd, syncFd, arena }
// With ownMemory the child gets a copy of our memory (no CLONE_VM), keeps
// only its arena and the addon, and may outlive this process; our arena goes
// as soon as the clone returned.
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
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsBoolean())
    throw Napi::TypeError::New(env, "argument 'ownMemory' must be a boolean");
  bool own = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  int stdio[3] = {-1, -1, -1};
  if (info.Length() > 5 && !info[5].IsUndefined()) {
    if (!info[5].IsArray() || info[5].As<Napi::Array>().Length() != 3)
      throw Napi::TypeError::New(env, "argument 'stdio' must be an array of 3 fds (-1: inherit)");
    Napi::Array a = info[5].As<Napi::Array>();
    for (uint32_t i = 0; i < 3; i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber()) throw Napi::TypeError::New(env, "argument 'stdio' must be an array of 3 fds (-1: inherit)");
      stdio[i] = v.As<Napi::Number>().Int32Value();
    }
  }

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
  arena->context->parent_pid = (int)getpid();
  for (int i = 0; i < 3; i++) arena->context->stdio[i] = stdio[i];
  if (own) {
    arena->context->own_memory = 1;
    SetKeepRanges(arena->context, arena);
  } else {
    ArenaInUse();
  }

  int pidfd = -1;
  struct clone_args args = {};
  args.flags = (own ? 0 : CLONE_VM) | CLONE_PIDFD | ns_flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
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
    if (!own) ArenaDone();
    ThrowError(env, (int)-pid, "clone3");
  }
  if (own) {
    // The child runs in its own copy.
    Unmap(arena->base, arena->size);
    arena->base = nullptr;
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
