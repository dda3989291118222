// Process and sync-socket bindings: pidfd signals and reaping, messages to
// and from the container child.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bindings.h"
#include "child/plan.h"
#include "errors.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ociish {

namespace {

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int pid = (int)IntArg(info, 0, "pid");
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) ThrowErrno(info.Env(), "pidfd_open");
  return Napi::Number::New(info.Env(), (double)fd);
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  int pidfd = (int)IntArg(info, 0, "pidfd");
  int sig = (int)IntArg(info, 1, "signal");
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) ThrowErrno(info.Env(), "pidfd_send_signal");
  return info.Env().Undefined();
}

// Reaps the process behind a pidfd: {exitCode} or {signal}, or null if it is
// still running (WNOHANG).
Napi::Value WaitPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pidfd = (int)IntArg(info, 0, "pidfd");
  siginfo_t si = {};
  int r;
  do {
    r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) ThrowErrno(env, "waitid");
  if (si.si_pid == 0) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", si.si_pid);
  if (si.si_code == CLD_EXITED) {
    o.Set("exitCode", si.si_status);
  } else {
    o.Set("signal", si.si_status);
    o.Set("coreDumped", si.si_code == CLD_DUMPED);
  }
  return o;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = (int)IntArg(info, 0, "fd");
  CancelWait(fd);
  if (close(fd) < 0 && errno != EINTR) ThrowErrno(info.Env(), "close");
  return info.Env().Undefined();
}

// Closes the fds a message brought; errors are of no use here.
void CloseAll(const int* fds, size_t n) {
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

// One sync message, or null at EOF (the child exec'd or died), or undefined
// when nothing is there yet (non-blocking socket). A message may carry one fd
// (SCM_RIGHTS, MSG_SECCOMP's listener), returned as `fd`, close-on-exec.
Napi::Value RecvSyncMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = (int)IntArg(info, 0, "fd");
  SyncMsg m;
  struct iovec iov = {&m, sizeof m};
  // Room for one fd; the kernel rounds up, so a sender's second fd may fit too.
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof control.buf;
  ssize_t n;
  do {
    n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return env.Undefined();
  if (n < 0 && errno == ECONNRESET) return env.Null();
  if (n < 0) ThrowErrno(env, "recvmsg");

  // Every fd that arrived is ours now: keep the first, close the rest.
  int fds[(sizeof control.buf) / sizeof(int)];
  size_t nfds = 0;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count && nfds < sizeof fds / sizeof fds[0]; i++)
      memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
  }
  // Truncated control data means fds were dropped: the message is not what was sent.
  if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
    CloseAll(fds, nfds);
    ThrowError(env, EPROTO, "recvmsg");
  }
  if (n == 0) {
    CloseAll(fds, nfds);
    return env.Null();
  }
  if (n != (ssize_t)sizeof m) {
    CloseAll(fds, nfds);
    ThrowError(env, EPROTO, "recvmsg");
  }
  if (nfds > 1) CloseAll(fds + 1, nfds - 1);
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", m.kind);
  o.Set("step", m.step);
  o.Set("value", (double)m.value);
  if (nfds > 0) o.Set("fd", fds[0]);
  return o;
}

Napi::Value SendSyncMsg(const Napi::CallbackInfo& info) {
  int fd = (int)IntArg(info, 0, "fd");
  SyncMsg m = {(uint32_t)IntArg(info, 1, "kind"), (int32_t)IntArg(info, 2, "step"), IntArg(info, 3, "value")};
  ssize_t n;
  do {
    n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(info.Env(), "send");
  return info.Env().Undefined();
}

// The CLI's last call: the process ends here, without atexit handlers or
// V8 and libuv teardown (~1.5 ms). Only for callers whose output already went
// out through write(2).
Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  _exit(info[0].As<Napi::Number>().Int32Value());
}

}  // namespace

void InitProc(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("waitPidfd", Napi::Function::New(env, WaitPidfd, "waitPidfd"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("recvSyncMsg", Napi::Function::New(env, RecvSyncMsg, "recvSyncMsg"));
  exports.Set("sendSyncMsg", Napi::Function::New(env, SendSyncMsg, "sendSyncMsg"));
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow"));
}

}  // namespace ociish
