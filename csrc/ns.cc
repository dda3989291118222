// Namespace bindings for the calling process. Node is multithreaded: setns
// and unshare would change only the calling thread (or fail with EINVAL), so
// they refuse unless the process has a single thread. Container namespaces
// are made by the spawn core's child instead, except a network namespace
// made ahead by newNetns on a worker thread.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bindings.h"
#include "errors.h"

namespace ociish {

namespace {

int ThreadCount() {
  char buf[4096];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  // Field 20 (num_threads) counted after the ')' that ends the comm field.
  char* p = strrchr(buf, ')');
  if (!p) return -1;
  int field = 2;
  for (; *p && field < 20; p++)
    if (*p == ' ') field++;
  return atoi(p);
}

void RequireSingleThread(Napi::Env env, const char* syscall) {
  int threads = ThreadCount();
  if (threads == 1) return;
  Napi::Error e = SystemError(env, EINVAL, syscall);
  e.Value().Set("message", std::string("EINVAL: ") + syscall + " from a process with " + std::to_string(threads) +
                               " threads would change only the calling thread; container namespaces are entered by "
                               "the spawn core's child");
  throw e;
}

Napi::Value Setns(const Napi::CallbackInfo& info) {
  std::string path = StringArg(info, 0, "path");
  int nstype = (int)IntArg(info, 1, "nstype");
  RequireSingleThread(info.Env(), "setns");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), "open", path.c_str());
  int r = setns(fd, nstype);
  int err = errno;
  close(fd);
  if (r < 0) ThrowError(info.Env(), err, "setns", path.c_str());
  return info.Env().Undefined();
}

Napi::Value Unshare(const Napi::CallbackInfo& info) {
  int flags = (int)IntArg(info, 0, "flags");
  RequireSingleThread(info.Env(), "unshare");
  if (unshare(flags) < 0) ThrowErrno(info.Env(), "unshare");
  return info.Env().Undefined();
}

Napi::Value Sethostname(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  if (sethostname(name.data(), name.size()) < 0) ThrowErrno(info.Env(), "sethostname");
  return info.Env().Undefined();
}

// A new network namespace (its loopback up), made on a libuv worker thread
// while the main thread goes on: creating one costs ~0.4 ms, mostly the
// kernel registering its sysctls and devices. The thread unshares, keeps an
// fd of the new namespace, and returns to its own; a container's setup
// joins it by /proc/<pid>/fd/<fd>.
class NewNetnsWorker : public Napi::AsyncWorker {
 public:
  explicit NewNetnsWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "ociish.newNetns"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0) return Fail("open", "/proc/thread-self/ns/net");
    if (unshare(CLONE_NEWNET) < 0) {
      Fail("unshare", nullptr);
      close(own);
      return;
    }
    fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) Fail("open", "/proc/thread-self/ns/net");
    else LoopbackUp();
    // A pool thread left in the container's namespace would run every later
    // job of the process there: better to stop the process.
    if (setns(own, CLONE_NEWNET) < 0) abort();
    close(own);
    if (err_ && fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) deferred_.Reject(SystemError(env, err_, syscall_, path_).Value());
    else deferred_.Resolve(Napi::Number::New(env, fd_));
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void Fail(const char* syscall, const char* path) {
    if (err_) return;
    err_ = errno;
    syscall_ = syscall;
    path_ = path;
  }

  // A new network namespace starts with loopback down.
  void LoopbackUp() {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return Fail("socket", nullptr);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) Fail("ioctl", "lo");
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    if (!err_ && ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) Fail("ioctl", "lo");
    close(sock);
  }

  Napi::Promise::Deferred deferred_;
  int fd_ = -1;
  int err_ = 0;
  const char* syscall_ = nullptr;
  const char* path_ = nullptr;
};

Napi::Value NewNetns(const Napi::CallbackInfo& info) {
  NewNetnsWorker* worker = new NewNetnsWorker(info.Env());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitNamespaces(Napi::Env env, Napi::Object exports) {
  exports.Set("newNetns", Napi::Function::New(env, NewNetns, "newNetns"));
  exports.Set("setns", Napi::Function::New(env, Setns, "setns"));
  exports.Set("unshare", Napi::Function::New(env, Unshare, "unshare"));
  exports.Set("sethostname", Napi::Function::New(env, Sethostname, "sethostname"));
}

}  // namespace ociish
