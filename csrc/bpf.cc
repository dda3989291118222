// cgroup v2 device filters: a BPF_PROG_TYPE_CGROUP_DEVICE program (made by
// lib/cgroups/device-program.ts) loaded and attached to a cgroup directory
// with the raw bpf(2) system call.
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

constexpr char kLicense[] = "Apache-2.0";
// A rejected program is loaded again with this much room for the verifier's
// reason; the programs are small, and so are their logs.
constexpr size_t kLogSize = 64 * 1024;

// Closes on scope exit, so that every throw closes what was opened.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

long Bpf(int cmd, bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

uint64_t Ptr(const void* p) { return (uint64_t)(uintptr_t)p; }

int OpenCgroup(Napi::Env env, const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, "open", dir.c_str());
  return fd;
}

// The ids of the device programs attached to the cgroup itself (not those
// inherited from its parents).
std::vector<uint32_t> QueryDevicePrograms(Napi::Env env, int cgroup, const std::string& dir) {
  std::vector<uint32_t> ids(16);
  for (;;) {
    bpf_attr attr = {};
    attr.query.target_fd = cgroup;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = Ptr(ids.data());
    attr.query.prog_cnt = (uint32_t)ids.size();
    if (Bpf(BPF_PROG_QUERY, &attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    // ENOSPC: more than fit; prog_cnt says how many there are now.
    if (errno != ENOSPC) ThrowErrno(env, "bpf BPF_PROG_QUERY", dir.c_str());
    ids.resize(attr.query.prog_cnt + 16);
  }
}

// Loads the program; when the kernel refuses it, loads it again with a log
// so that the error says why. Returns the program's fd.
int LoadDeviceProgram(Napi::Env env, const uint8_t* insns, size_t size, const std::string& dir) {
  bpf_attr attr = {};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = Ptr(insns);
  attr.insn_cnt = (uint32_t)(size / sizeof(bpf_insn));
  attr.license = Ptr(kLicense);
  long fd = Bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return (int)fd;
  int err = errno;
  // Not every refusal comes from the verifier (EPERM, ENOMEM, E2BIG): a
  // second load is for the log only, and the first errno is reported.
  std::string log(kLogSize, '\0');
  attr.log_level = 1;
  attr.log_buf = Ptr(log.data());
  attr.log_size = (uint32_t)log.size();
  fd = Bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return (int)fd;  // refused once, accepted now: nothing to report
  log.resize(strnlen(log.data(), log.size()));
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  Napi::Error e = SystemError(env, err, "bpf BPF_PROG_LOAD", dir.c_str());
  if (!log.empty()) {
    Napi::Object o = e.Value();
    o.Set("message", o.Get("message").As<Napi::String>().Utf8Value() + ": verifier: " + log);
  }
  throw e;
}

// attachDeviceProgram(cgroupDir, insns): makes insns the cgroup's device
// filter. The new program is attached next to the old ones (ALLOW_MULTI, so
// cgroups below can attach their own), then the old ones are detached: while
// both are attached a device must pass both, so no access is ever left
// unfiltered.
Napi::Value AttachDeviceProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = StringArg(info, 0, "cgroupDir");
  if (info.Length() < 2 || !info[1].IsBuffer()) throw Napi::TypeError::New(env, "argument 'insns' must be a Buffer");
  Napi::Buffer<uint8_t> insns = info[1].As<Napi::Buffer<uint8_t>>();
  if (insns.Length() == 0 || insns.Length() % sizeof(bpf_insn) != 0)
    throw Napi::TypeError::New(env, "argument 'insns' must hold whole eBPF instructions (8 bytes each)");

  Fd cgroup(OpenCgroup(env, dir));
  Fd prog(LoadDeviceProgram(env, insns.Data(), insns.Length(), dir));
  std::vector<uint32_t> old = QueryDevicePrograms(env, cgroup.get(), dir);

  bpf_attr attr = {};
  attr.target_fd = cgroup.get();
  attr.attach_bpf_fd = prog.get();
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attr) < 0) ThrowErrno(env, "bpf BPF_PROG_ATTACH", dir.c_str());

  for (uint32_t id : old) {
    bpf_attr get = {};
    get.prog_id = id;
    Fd old_prog((int)Bpf(BPF_PROG_GET_FD_BY_ID, &get));
    // ENOENT: someone else detached it meanwhile, and it is gone.
    if (old_prog.get() < 0 && errno == ENOENT) continue;
    if (old_prog.get() < 0) ThrowErrno(env, "bpf BPF_PROG_GET_FD_BY_ID", dir.c_str());
    bpf_attr detach = {};
    detach.target_fd = cgroup.get();
    detach.attach_bpf_fd = old_prog.get();
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (Bpf(BPF_PROG_DETACH, &detach) < 0 && errno != ENOENT) ThrowErrno(env, "bpf BPF_PROG_DETACH", dir.c_str());
  }
  return env.Undefined();
}

// deviceProgramIds(cgroupDir) -> the ids of the device programs attached there.
Napi::Value DeviceProgramIds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = StringArg(info, 0, "cgroupDir");
  Fd cgroup(OpenCgroup(env, dir));
  std::vector<uint32_t> ids = QueryDevicePrograms(env, cgroup.get(), dir);
  Napi::Array out = Napi::Array::New(env, ids.size());
  for (size_t i = 0; i < ids.size(); i++) out.Set((uint32_t)i, ids[i]);
  return out;
}

}  // namespace

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("attachDeviceProgram", Napi::Function::New(env, AttachDeviceProgram, "attachDeviceProgram"));
  exports.Set("deviceProgramIds", Napi::Function::New(env, DeviceProgramIds, "deviceProgramIds"));
}

}  // namespace ociish
