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

// Moves `from` to `to` atomically. An existing `to` is swapped out
// (RENAME_EXCHANGE) and then unlinked, not renamed over: on ext4 a rename
// over a file first starts writing `from`'s data out (its auto_da_alloc
// safeguard), and unlinking the state file later waits for that I/O. A
// reader sees the old file or the new one either way. Without a `to`, or on
// a filesystem without RENAME_EXCHANGE, a plain rename.
Napi::Value ReplaceFile(const Napi::CallbackInfo& info) {
  std::string from = StringArg(info, 0, "from");
  std::string to = StringArg(info, 1, "to");
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
    if (unlink(from.c_str()) < 0) ThrowErrno(info.Env(), "unlink", from.c_str());
    return info.Env().Undefined();
  }
  if (errno != ENOENT && errno != EINVAL && errno != ENOSYS) ThrowErrno(info.Env(), "rename", from.c_str());
  if (rename(from.c_str(), to.c_str()) < 0) ThrowErrno(info.Env(), "rename", from.c_str());
  return info.Env().Undefined();
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
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
}

}  // namespace ociish
