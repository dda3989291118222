// Mount bindings for the calling process's mount namespace.
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

// Empty strings mean NULL, as mount(2) takes for unused arguments.
const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

Napi::Value Mount(const Napi::CallbackInfo& info) {
  std::string source = StringArg(info, 0, "source");
  std::string target = StringArg(info, 1, "target");
  std::string fstype = StringArg(info, 2, "fstype");
  unsigned long flags = (unsigned long)IntArg(info, 3, "flags");
  std::string data = info.Length() > 4 ? StringArg(info, 4, "data") : std::string();
  if (mount(OrNull(source), target.c_str(), OrNull(fstype), flags, OrNull(data)) < 0)
    ThrowErrno(info.Env(), "mount", target.c_str());
  return info.Env().Undefined();
}

Napi::Value Umount2(const Napi::CallbackInfo& info) {
  std::string target = StringArg(info, 0, "target");
  int flags = info.Length() > 1 ? (int)IntArg(info, 1, "flags") : 0;
  if (umount2(target.c_str(), flags) < 0) ThrowErrno(info.Env(), "umount2", target.c_str());
  return info.Env().Undefined();
}

Napi::Value PivotRoot(const Napi::CallbackInfo& info) {
  std::string new_root = StringArg(info, 0, "newRoot");
  std::string put_old = StringArg(info, 1, "putOld");
  if (syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) < 0)
    ThrowErrno(info.Env(), "pivot_root", new_root.c_str());
  return info.Env().Undefined();
}

}  // namespace

void InitMount(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount2", Napi::Function::New(env, Umount2, "umount2"));
  exports.Set("pivotRoot", Napi::Function::New(env, PivotRoot, "pivotRoot"));
}

}  // namespace ociish
