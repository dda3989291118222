// Terminal helpers for `ociish run` with process.terminal and no console
// socket: ociish keeps the pty master (a dup of the fd the child sent) and
// copies between it and the user's terminal, resizing it as theirs changes.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

// dupFd(fd) -> a close-on-exec copy of fd.
Napi::Value DupFd(const Napi::CallbackInfo& info) {
  int fd = (int)IntArg(info, 0, "fd");
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) ThrowErrno(info.Env(), "fcntl");
  return Napi::Number::New(info.Env(), copy);
}

// setWindowSize(fd, rows, cols): TIOCSWINSZ on a terminal (the pty master).
Napi::Value SetWindowSize(const Napi::CallbackInfo& info) {
  int fd = (int)IntArg(info, 0, "fd");
  struct winsize ws = {};
  ws.ws_row = (unsigned short)IntArg(info, 1, "rows");
  ws.ws_col = (unsigned short)IntArg(info, 2, "cols");
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) ThrowErrno(info.Env(), "ioctl");
  return info.Env().Undefined();
}

}  // namespace

void InitTerm(Napi::Env env, Napi::Object exports) {
  exports.Set("dupFd", Napi::Function::New(env, DupFd, "dupFd"));
  exports.Set("setWindowSize", Napi::Function::New(env, SetWindowSize, "setWindowSize"));
}

}  // namespace ociish
