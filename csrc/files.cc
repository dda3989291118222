// cgroup and /proc file writes: one write(2) of the whole
// value, as the kernel parses each write separately, with the errno the
// kernel gave (EINVAL, EBUSY, ...) instead of a generic stream error.
// flock(2), mkfifo(3) and renameat2(2) for the state directory and pipe2(2)
// for stdio, which Node does not offer.
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

Napi::Value WriteKernelFile(const Napi::CallbackInfo& info) {
  std::string path = StringArg(info, 0, "path");
  std::string value = StringArg(info, 1, "value");
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), "open", path.c_str());
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n < 0) ThrowError(info.Env(), err, "write", path.c_str());
  if ((size_t)n != value.size()) ThrowError(info.Env(), EIO, "write", path.c_str());
  return info.Env().Undefined();
}

// flock(fd, exclusive, wait) -> true, or false when !wait and someone else
// holds a conflicting lock. Waiting blocks the thread: for short critical
// sections of a CLI, not for the API's event loop.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = (int)IntArg(info, 0, "fd");
  if (info.Length() < 2 || !info[1].IsBoolean()) throw Napi::TypeError::New(env, "argument 'exclusive' must be a boolean");
  if (info.Length() < 3 || !info[2].IsBoolean()) throw Napi::TypeError::New(env, "argument 'wait' must be a boolean");
  bool exclusive = info[1].As<Napi::Boolean>().Value();
  bool wait = info[2].As<Napi::Boolean>().Value();
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  int r;
  do {
    r = flock(fd, op);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EWOULDBLOCK && !wait) return Napi::Boolean::New(env, false);
  if (r < 0) ThrowErrno(env, "flock");
  return Napi::Boolean::New(env, true);
}

// The exec fifo a created container's init waits on (Node has no mkfifo).
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  std::string path = StringArg(info, 0, "path");
  mode_t mode = (mode_t)IntArg(info, 1, "mode");
  if (mkfifo(path.c_str(), mode) < 0) ThrowErrno(info.Env(), "mkfifo", path.c_str());
  return info.Env().Undefined();
}

// A failed call: its errno, the syscall and the path, for SystemError.
struct Failure {
  int err = 0;
  const char* syscall = nullptr;
  std::string path;
  bool Set(const char* sc, const std::string& p) {
    err = errno;
    syscall = sc;
    path = p;
    return false;
  }
};

// Moves `from` to `to` atomically. An existing `to` is swapped out
// (RENAME_EXCHANGE) and then unlinked, not renamed over: on ext4 a rename
// over a file first starts writing `from`'s data out (its auto_da_alloc
// safeguard), and unlinking the state file later waits for that I/O. A
// reader sees the old file or the new one either way. Without a `to`, or on
// a filesystem without RENAME_EXCHANGE, a plain rename.
bool Replace(const std::string& from, const std::string& to, Failure* f) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
    return unlink(from.c_str()) == 0 || f->Set("unlink", from);
  }
  if (errno != ENOENT && errno != EINVAL && errno != ENOSYS) return f->Set("rename", from);
  return rename(from.c_str(), to.c_str()) == 0 || f->Set("rename", from);
}

Napi::Value ReplaceFile(const Napi::CallbackInfo& info) {
  std::string from = StringArg(info, 0, "from");
  std::string to = StringArg(info, 1, "to");
  Failure f;
  if (!Replace(from, to, &f)) ThrowError(info.Env(), f.err, f.syscall, f.path.c_str());
  return info.Env().Undefined();
}

// State-directory file work on a libuv worker thread, as one job, so that
// the main thread goes on meanwhile (a state write or removal on a busy
// ext4 costs from 0.1 to over 1 ms): the promise settles once it is done.
class FileJob : public Napi::AsyncWorker {
 public:
  explicit FileJob(Napi::Env env) : Napi::AsyncWorker(env, "ociish.fileJob"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void OnOK() override {
    if (failure_.err) deferred_.Reject(SystemError(Env(), failure_.err, failure_.syscall, failure_.path.c_str()).Value());
    else deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 protected:
  Failure failure_;

 private:
  Napi::Promise::Deferred deferred_;
};

// writeFileAtomic(tmp, to, data, mode): data written to tmp, then Replace.
class WriteAtomicJob : public FileJob {
 public:
  WriteAtomicJob(Napi::Env env, std::string tmp, std::string to, std::string data, mode_t mode)
      : FileJob(env), tmp_(std::move(tmp)), to_(std::move(to)), data_(std::move(data)), mode_(mode) {}
  void Execute() override {
    int fd = open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_);
    if (fd < 0) {
      failure_.Set("open", tmp_);
      return;
    }
    size_t done = 0;
    while (done < data_.size()) {
      ssize_t n = write(fd, data_.data() + done, data_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      done += (size_t)n;
    }
    if (done < data_.size()) failure_.Set("write", tmp_);
    if (close(fd) < 0 && !failure_.err) failure_.Set("close", tmp_);
    if (!failure_.err) Replace(tmp_, to_, &failure_);
  }

 private:
  std::string tmp_, to_, data_;
  mode_t mode_;
};

Napi::Value WriteFileAtomic(const Napi::CallbackInfo& info) {
  std::string tmp = StringArg(info, 0, "tmp");
  std::string to = StringArg(info, 1, "to");
  std::string data = StringArg(info, 2, "data");
  mode_t mode = (mode_t)IntArg(info, 3, "mode");
  WriteAtomicJob* job = new WriteAtomicJob(info.Env(), std::move(tmp), std::move(to), std::move(data), mode);
  Napi::Promise promise = job->Promise();
  job->Queue();
  return promise;
}

// pipe2(O_CLOEXEC) -> [readFd, writeFd]: a container's stdio pipes (Node
// makes pipes only for child_process).
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) ThrowErrno(env, "pipe2");
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, fds[0]));
  a.Set(1u, Napi::Number::New(env, fds[1]));
  return a;
}

}  // namespace

void InitFiles(Napi::Env env, Napi::Object exports) {
  exports.Set("writeKernelFile", Napi::Function::New(env, WriteKernelFile, "writeKernelFile"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("replaceFile", Napi::Function::New(env, ReplaceFile, "replaceFile"));
  exports.Set("writeFileAtomic", Napi::Function::New(env, WriteFileAtomic, "writeFileAtomic"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
}

}  // namespace ociish
