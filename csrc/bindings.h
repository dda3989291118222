// Registration functions, one per binding file.
#pragma once
#include <napi.h>
namespace ociish {
void InitErrors(Napi::Env env, Napi::Object exports);
void InitNamespaces(Napi::Env env, Napi::Object exports);
void InitMount(Napi::Env env, Napi::Object exports);
void InitFiles(Napi::Env env, Napi::Object exports);
void InitPoll(Napi::Env env, Napi::Object exports);
// Rejects a pending waitReadable(fd) with ECANCELED (before fd is closed).
void CancelWait(int fd);
void InitProc(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitBpf(Napi::Env env, Napi::Object exports);
void InitUnixSocket(Napi::Env env, Napi::Object exports);
void InitSeccompProbe(Napi::Env env, Napi::Object exports);
void InitTerm(Napi::Env env, Napi::Object exports);
}  // namespace ociish
