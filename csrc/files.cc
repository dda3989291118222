// cgroup and /proc file writes: one write(2) of the whole
// value, as the kernel parses each write separately, with the errno the
// kernel gave (EINVAL, EBUSY, ...) instead of a generic stream error.
#include <fcntl.h>
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

}  // namespace

void InitFiles(Napi::Env env, Napi::Object exports) {
  exports.Set("writeKernelFile", Napi::Function::New(env, WriteKernelFile, "writeKernelFile"));
}

}  // namespace ociish
