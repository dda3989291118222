// Registration only.
#include <napi.h>

#include "bindings.h"
#include "constants.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("constants", ociish::Constants(env));
  ociish::InitErrors(env, exports);
  ociish::InitNamespaces(env, exports);
  ociish::InitMount(env, exports);
  ociish::InitFiles(env, exports);
  ociish::InitPoll(env, exports);
  ociish::InitProc(env, exports);
  ociish::InitSpawn(env, exports);
  ociish::InitBpf(env, exports);
  ociish::InitUnixSocket(env, exports);
  ociish::InitSeccompProbe(env, exports);
  ociish::InitTerm(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(ociish, Init)
