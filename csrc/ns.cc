// Namespace bindings for the calling process. Node is multithreaded: setns
// and unshare would change only the calling thread (or fail with EINVAL), so
// they refuse unless the process has a single thread. Container namespaces
// are made by the spawn core's child instead.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

int ThreadCount() {
  char buf[4096];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  // Field 20 (num_threads) counted after the ')' that ends the comm field.
  char* p = strrchr(buf, ')');
  if (!p) return -1;
  int field = 2;
  for (; *p && field < 20; p++)
    if (*p == ' ') field++;
  return atoi(p);
}

void RequireSingleThread(Napi::Env env, const char* syscall) {
  int threads = ThreadCount();
  if (threads == 1) return;
  Napi::Error e = SystemError(env, EINVAL, syscall);
  e.Value().Set("message", std::string("EINVAL: ") + syscall + " from a process with " + std::to_string(threads) +
                               " threads would change only the calling thread; container namespaces are entered by "
                               "the spawn core's child");
  throw e;
}

Napi::Value Setns(const Napi::CallbackInfo& info) {
  std::string path = StringArg(info, 0, "path");
  int nstype = (int)IntArg(info, 1, "nstype");
  RequireSingleThread(info.Env(), "setns");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), "open", path.c_str());
  int r = setns(fd, nstype);
  int err = errno;
  close(fd);
  if (r < 0) ThrowError(info.Env(), err, "setns", path.c_str());
  return info.Env().Undefined();
}

Napi::Value Unshare(const Napi::CallbackInfo& info) {
  int flags = (int)IntArg(info, 0, "flags");
  RequireSingleThread(info.Env(), "unshare");
  if (unshare(flags) < 0) ThrowErrno(info.Env(), "unshare");
  return info.Env().Undefined();
}

Napi::Value Sethostname(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  if (sethostname(name.data(), name.size()) < 0) ThrowErrno(info.Env(), "sethostname");
  return info.Env().Undefined();
}

}  // namespace

void InitNamespaces(Napi::Env env, Napi::Object exports) {
  exports.Set("setns", Napi::Function::New(env, Setns, "setns"));
  exports.Set("unshare", Napi::Function::New(env, Unshare, "unshare"));
  exports.Set("sethostname", Napi::Function::New(env, Sethostname, "sethostname"));
}

}  // namespace ociish
