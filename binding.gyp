{
  "targets": [
    {
      "target_name": "ociish",
      "sources": [
        "csrc/addon.cc",
        "csrc/errors.cc",
        "csrc/constants.cc",
        "csrc/ns.cc",
        "csrc/mount.cc",
        "csrc/files.cc",
        "csrc/poll.cc",
        "csrc/proc.cc",
        "csrc/spawn.cc",
        "csrc/bpf.cc",
        "csrc/unix-socket.cc",
        "csrc/seccomp-probe.cc",
        "csrc/term.cc",
        "csrc/child/clone3.cc",
        "csrc/child/interp.cc",
        "csrc/child/fs.cc",
        "csrc/child/steps_ns.cc",
        "csrc/child/steps_mount.cc",
        "csrc/child/copyup.cc",
        "csrc/child/steps_dev.cc",
        "csrc/child/steps_process.cc",
        "csrc/child/steps_seccomp.cc",
        "csrc/child/steps_exec.cc",
        "csrc/child/steps_barrier.cc",
        "csrc/child/steps_console.cc",
        "csrc/child/own_memory.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      # -fno-tree-loop-distribute-patterns: no memcpy/strlen calls made up from
      # loops; the container child (csrc/child) must call nothing from libc.
      # -fvisibility=hidden: calls between the child's functions are direct,
      # not through the PLT (only the module's init is exported).
      # -fno-stack-protector: the canary lives in the thread's TLS, which a
      # child waiting for `start` no longer has mapped (its memory is trimmed);
      # distributions that turn the protector on by default (Ubuntu) would
      # crash it.
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fno-strict-aliasing", "-fno-tree-loop-distribute-patterns", "-fvisibility=hidden", "-fno-stack-protector"],
      # Resolve every symbol at load: a lazy PLT binding in the child would run
      # the dynamic linker on the parent thread's TLS.
      "ldflags": ["-Wl,-z,now"]
    }
  ]
}
