// System errors shaped like Node's own (code, errno, syscall, path).
#pragma once

#include <napi.h>

namespace ociish {

// Builds the error for a failed call; `err` is a positive errno.
Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

// Throws SystemError for the current errno.
[[noreturn]] void ThrowErrno(Napi::Env env, const char* syscall, const char* path = nullptr);
[[noreturn]] void ThrowError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

// Argument helpers that throw a TypeError naming the argument.
std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name);

}  // namespace ociish
