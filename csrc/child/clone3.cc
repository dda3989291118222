// clone3 with a caller-provided stack. Under CLONE_VM the child cannot return
// into the C++ frame that called clone3 (it runs on a new stack), so the child
// side is a few instructions that call fn(arg) and exit with its result.
// Registers survive the syscall in the child (except the return register), so
// fn and arg travel in callee-saved registers.
#include "child.h"

#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl ociish_clone3_run\n"
    ".hidden ociish_clone3_run\n"
    ".type ociish_clone3_run,@function\n"
    "ociish_clone3_run:\n"
    "  push %r12\n"
    "  push %r13\n"
    "  mov %rdx, %r12\n"
    "  mov %rcx, %r13\n"
    "  mov $435, %eax\n"  // SYS_clone3
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jz 1f\n"
    "  pop %r13\n"
    "  pop %r12\n"
    "  ret\n"
    "1:\n"
    "  xor %ebp, %ebp\n"
    "  and $-16, %rsp\n"
    "  mov %r13, %rdi\n"
    "  call *%r12\n"
    "  mov %eax, %edi\n"
    "  mov $60, %eax\n"  // SYS_exit
    "  syscall\n"
    "  hlt\n"
    ".size ociish_clone3_run, .-ociish_clone3_run\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl ociish_clone3_run\n"
    ".hidden ociish_clone3_run\n"
    ".type ociish_clone3_run,%function\n"
    "ociish_clone3_run:\n"
    "  mov x9, x2\n"
    "  mov x10, x3\n"
    "  mov x8, #435\n"  // SYS_clone3
    "  svc #0\n"
    "  cbz x0, 1f\n"
    "  ret\n"
    "1:\n"
    "  mov x29, #0\n"
    "  mov x30, #0\n"
    "  mov x0, x10\n"
    "  blr x9\n"
    "  mov x8, #93\n"  // SYS_exit
    "  svc #0\n"
    "  brk #0\n"
    ".size ociish_clone3_run, .-ociish_clone3_run\n");
#endif
