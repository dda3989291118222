// The one place native errors are made.
#include "errors.h"

#include "bindings.h"

#include <errno.h>
#include <string.h>
#include <uv.h>

namespace ociish {

namespace {

// The errno's name and text: libuv's text, as Node's own system errors use,
// where libuv knows the errno (it does not know ECHILD or EUSERS, for two).
const char* ErrnoCode(int err) {
  const char* code = strerrorname_np(err);
  return code ? code : "UNKNOWN";
}

const char* ErrnoMessage(int err) {
  bool uv_knows = strncmp(uv_err_name(-err), "Unknown", 7) != 0;
  return uv_knows ? uv_strerror(-err) : strerror(err);
}

// errnoText(errno) -> { code, message }, for errors the child reports as numbers.
Napi::Value ErrnoText(const Napi::CallbackInfo& info) {
  int err = (int)IntArg(info, 0, "errno");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("code", ErrnoCode(err));
  o.Set("message", ErrnoMessage(err));
  return o;
}

}  // namespace

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("errnoText", Napi::Function::New(env, ErrnoText, "errnoText"));
}

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const char* path) {
  const char* code = ErrnoCode(err);
  std::string message = std::string(code) + ": " + ErrnoMessage(err) + ", " + syscall;
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
