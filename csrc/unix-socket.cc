// Handing fds to another program over a unix socket path: the seccomp
// listener to `linux.seccomp.listenerPath`, a terminal to --console-socket.
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <vector>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

// The kernel's SCM_MAX_FD: more fds in one message is EINVAL.
constexpr size_t kMaxFds = 253;

std::vector<int> FdsArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "argument 'fds' must be an array of fds");
  Napi::Array array = info[i].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value v = array.Get(k);
    double fd = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(fd >= 0 && fd <= INT32_MAX && fd == (double)(int)fd))
      throw Napi::TypeError::New(info.Env(), "argument 'fds' must be an array of fds");
    fds.push_back((int)fd);
  }
  if (fds.size() > kMaxFds) throw Napi::RangeError::New(info.Env(), "argument 'fds' holds more than 253 fds");
  return fds;
}

// sendToUnixSocket(path, data, fds): connects (SOCK_STREAM), sends data with
// the fds attached to its first byte, closes. Blocks until all is queued.
Napi::Value SendToUnixSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  if (info.Length() < 2 || !info[1].IsBuffer()) throw Napi::TypeError::New(env, "argument 'data' must be a Buffer");
  Napi::Buffer<uint8_t> data = info[1].As<Napi::Buffer<uint8_t>>();
  std::vector<int> fds = FdsArg(info, 2);
  if (path.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "argument 'path' must not contain NUL");
  // A stream socket carries fds only along with data: with none they would vanish.
  if (!fds.empty() && data.Length() == 0) throw Napi::TypeError::New(env, "argument 'data' must not be empty when fds are sent");

  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) ThrowError(env, ENAMETOOLONG, "connect", path.c_str());
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) ThrowErrno(env, "socket", path.c_str());
  int r;
  do {
    r = connect(sock, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno;
    close(sock);
    ThrowError(env, err, "connect", path.c_str());
  }

  std::vector<char> control(fds.empty() ? 0 : CMSG_SPACE(fds.size() * sizeof(int)));
  const uint8_t* p = data.Data();
  size_t left = data.Length();
  bool first = true;
  // One sendmsg carries the fds; a partial send goes on without them.
  while (first || left > 0) {
    struct iovec iov = {const_cast<uint8_t*>(p), left};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (first && !fds.empty()) {
      mh.msg_control = control.data();
      mh.msg_controllen = control.size();
      struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
      memcpy(CMSG_DATA(cm), fds.data(), fds.size() * sizeof(int));
    }
    ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(sock);
      ThrowError(env, err, "sendmsg", path.c_str());
    }
    first = false;
    p += n;
    left -= (size_t)n;
  }
  close(sock);
  return env.Undefined();
}

}  // namespace

void InitUnixSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("sendToUnixSocket", Napi::Function::New(env, SendToUnixSocket, "sendToUnixSocket"));
}

}  // namespace ociish
