// Raw system calls for the container child.
//
// The child runs under CLONE_VM in the Node process's memory, sharing the
// parent thread's TLS: glibc wrappers would write errno into the parent's
// thread and some (setresuid, setgroups) broadcast to all of Node's threads.
// A child with memory of its own unmaps libc and the TLS altogether.
// Every call here is a bare `syscall` instruction returning -errno on failure.
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

namespace child {

#if defined(__x86_64__)
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
#else
#error "ociish supports x86_64 and aarch64"
#endif

template <typename A = long, typename B = long, typename C = long, typename D = long, typename E = long, typename F = long>
static inline long sys(long n, A a = 0, B b = 0, C c = 0, D d = 0, E e = 0, F f = 0) {
  return sys6(n, (long)a, (long)b, (long)c, (long)d, (long)e, (long)f);
}

// Small freestanding string helpers (no libc in the child).
static inline size_t slen(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

// Appends src to dst (capacity cap, always NUL-terminated); returns false if truncated.
static inline bool sappend(char* dst, size_t cap, size_t* len, const char* src) {
  for (size_t i = 0; src[i]; i++) {
    if (*len + 1 >= cap) return false;
    dst[(*len)++] = src[i];
  }
  dst[*len] = 0;
  return true;
}

static inline bool sappend_uint(char* dst, size_t cap, size_t* len, unsigned long v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  char rev[24];
  for (int i = 0; i < n; i++) rev[i] = tmp[n - 1 - i];
  rev[n] = 0;
  return sappend(dst, cap, len, rev);
}

}  // namespace child
