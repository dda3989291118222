// The one place native errors are made.
#include "errors.h"

#include <errno.h>
#include <string.h>
#include <uv.h>

namespace ociish {

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const char* path) {
  // libuv's texts, as Node's own system errors use, where libuv knows the
  // errno (it does not know ECHILD, for one).
  const char* code = strerrorname_np(err);
  if (!code) code = "UNKNOWN";
  bool uv_knows = strncmp(uv_err_name(-err), "Unknown", 7) != 0;
  std::string message = std::string(code) + ": " + (uv_knows ? uv_strerror(-err) : strerror(err)) + ", " + syscall;
  if (path) message += std::string(" '") + path + "'";
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  o.Set("code", code);
  o.Set("errno", -err);  // negative, as Node's system errors
  o.Set("syscall", syscall);
  if (path) o.Set("path", path);
  return e;
}

void ThrowError(Napi::Env env, int err, const char* syscall, const char* path) {
  throw SystemError(env, err, syscall, path);
}

void ThrowErrno(Napi::Env env, const char* syscall, const char* path) { ThrowError(env, errno, syscall, path); }

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string("argument '") + name + "' must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i < info.Length() && info[i].IsBigInt()) {
    bool lossless;
    return info[i].As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (i >= info.Length() || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string("argument '") + name + "' must be an integer");
  return info[i].As<Napi::Number>().Int64Value();
}

}  // namespace ociish
