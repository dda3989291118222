// waitReadable(fd): a promise that resolves when fd becomes readable, watched
// by libuv in the event loop (a pidfd becomes readable when its process
// exits), so no thread is parked per container. One wait per fd at a time;
// closeFd cancels a pending wait (ECANCELED) so a reused fd number is clean.
#include <uv.h>

#include <unordered_map>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

struct PollRequest {
  uv_poll_t handle;
  int fd;
  napi_env env;
  Napi::Promise::Deferred deferred;
  Napi::AsyncContext context;
  PollRequest(Napi::Env e, int f)
      : fd(f), env(e), deferred(Napi::Promise::Deferred::New(e)), context(e, "ociish.waitReadable") {}
};

// Pending waits by fd (the main thread is the only user).
std::unordered_map<int, PollRequest*> pending;

void OnClosed(uv_handle_t* handle) { delete static_cast<PollRequest*>(handle->data); }

// Stops the watch and settles the promise: resolved, or rejected with `err`.
void Settle(PollRequest* req, int err, const char* syscall) {
  uv_poll_stop(&req->handle);
  pending.erase(req->fd);
  {
    Napi::Env env(req->env);
    Napi::HandleScope scope(env);
    // A callback scope makes the promise's continuations run now, as after
    // any other I/O callback.
    Napi::CallbackScope callback_scope(env, req->context);
    if (err)
      req->deferred.Reject(SystemError(env, err, syscall).Value());
    else
      req->deferred.Resolve(env.Undefined());
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&req->handle), OnClosed);
}

void OnReadable(uv_poll_t* handle, int status, int) {
  Settle(static_cast<PollRequest*>(handle->data), status < 0 ? -status : 0, "uv_poll");
}

Napi::Value WaitReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = (int)IntArg(info, 0, "fd");
  if (pending.count(fd)) ThrowError(env, EBUSY, "waitReadable");
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
  PollRequest* req = new PollRequest(env, fd);
  req->handle.data = req;
  int r = uv_poll_init(loop, &req->handle, fd);
  if (r < 0) {
    // Settle the deferred nobody will see (an unsettled one is never freed);
    // resolve, as a rejection would be reported as unhandled.
    req->deferred.Resolve(env.Undefined());
    delete req;
    ThrowError(env, -r, "uv_poll_init");
  }
  Napi::Promise promise = req->deferred.Promise();
  r = uv_poll_start(&req->handle, UV_READABLE, OnReadable);
  if (r < 0) {
    req->deferred.Reject(SystemError(env, -r, "uv_poll_start").Value());
    uv_close(reinterpret_cast<uv_handle_t*>(&req->handle), OnClosed);
    return promise;
  }
  pending[fd] = req;
  return promise;
}

}  // namespace

void CancelWait(int fd) {
  auto it = pending.find(fd);
  if (it != pending.end()) Settle(it->second, ECANCELED, "waitReadable");
}

void InitPoll(Napi::Env env, Napi::Object exports) {
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable, "waitReadable"));
}

}  // namespace ociish
