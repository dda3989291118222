// What the kernel's seccomp supports, for `ociish features`: an action is
// available if SECCOMP_GET_ACTION_AVAIL says so; a filter flag is known if
// loading a NULL program with it fails with EFAULT (the program is read
// after the flags are checked, so nothing is ever loaded) rather than EINVAL.
#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

Napi::Value SeccompActionAvailable(const Napi::CallbackInfo& info) {
  uint32_t action = (uint32_t)IntArg(info, 0, "action");
  long r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
  return Napi::Boolean::New(info.Env(), r == 0);
}

Napi::Value SeccompFlagSupported(const Napi::CallbackInfo& info) {
  unsigned long flag = (unsigned long)IntArg(info, 0, "flag");
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, nullptr);
  return Napi::Boolean::New(info.Env(), r < 0 && errno == EFAULT);
}

}  // namespace

void InitSeccompProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("seccompActionAvailable", Napi::Function::New(env, SeccompActionAvailable, "seccompActionAvailable"));
  exports.Set("seccompFlagSupported", Napi::Function::New(env, SeccompFlagSupported, "seccompFlagSupported"));
}

}  // namespace ociish
