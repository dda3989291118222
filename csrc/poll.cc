// waitReadable(fd): a promise that resolves when fd becomes readable, watched
// by libuv in the event loop (a pidfd becomes readable when its process
// exits), so no thread is parked per container.
#include <uv.h>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

struct PollRequest {
  uv_poll_t handle;
  napi_env env;
  Napi::Promise::Deferred deferred;
  Napi::AsyncContext context;
  PollRequest(Napi::Env e) : env(e), deferred(Napi::Promise::Deferred::New(e)), context(e, "ociish.waitReadable") {}
};

void OnClosed(uv_handle_t* handle) { delete static_cast<PollRequest*>(handle->data); }

void OnReadable(uv_poll_t* handle, int status, int) {
  PollRequest* req = static_cast<PollRequest*>(handle->data);
  uv_poll_stop(handle);
  {
    Napi::Env env(req->env);
    Napi::HandleScope scope(env);
    // A callback scope makes the promise's continuations run now, as after
    // any other I/O callback.
    Napi::CallbackScope callback_scope(env, req->context);
    if (status < 0)
      req->deferred.Reject(SystemError(env, -status, "uv_poll").Value());
    else
      req->deferred.Resolve(env.Undefined());
  }
  uv_close(reinterpret_cast<uv_handle_t*>(handle), OnClosed);
}

Napi::Value WaitReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = (int)IntArg(info, 0, "fd");
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
  PollRequest* req = new PollRequest(env);
  req->handle.data = req;
  int r = uv_poll_init(loop, &req->handle, fd);
  if (r < 0) {
    delete req;
    ThrowError(env, -r, "uv_poll_init");
  }
  Napi::Promise promise = req->deferred.Promise();
  r = uv_poll_start(&req->handle, UV_READABLE, OnReadable);
  if (r < 0) {
    req->deferred.Reject(SystemError(env, -r, "uv_poll_start").Value());
    uv_close(reinterpret_cast<uv_handle_t*>(&req->handle), OnClosed);
  }
  return promise;
}

}  // namespace

void InitPoll(Napi::Env env, Napi::Object exports) {
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable, "waitReadable"));
}

}  // namespace ociish
