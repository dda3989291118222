// The typed interface of the native addon (csrc/). Every function throws
// errors shaped like Node's system errors (code, errno, syscall, path).

export interface SyncMessage {
  kind: number;
  step: number;
  value: number;
  /** An fd the child attached (SCM_RIGHTS: SECCOMP's listener, CONSOLE's pty master), close-on-exec; the caller closes it. */
  fd?: number;
}

export type ExitStatus = { pid: number; exitCode: number } | { pid: number; signal: number; coreDumped: boolean };

/** Opaque: the memory a spawned child runs in until it has exec'd or died. */
export interface SpawnArena {
  readonly __arena: unique symbol;
}

export interface Spawned {
  pid: number;
  pidfd: number;
  /** The parent's end of the SOCK_SEQPACKET sync socket; EOF once the child exec'd or died. */
  syncFd: number;
  arena: SpawnArena;
}

export interface NativeConstants {
  clone: Record<'CLONE_NEWNS' | 'CLONE_NEWUTS' | 'CLONE_NEWIPC' | 'CLONE_NEWUSER' | 'CLONE_NEWPID' | 'CLONE_NEWNET' | 'CLONE_NEWCGROUP' | 'CLONE_NEWTIME', number>;
  mount: Record<string, number>;
  rlimit: Record<string, number>;
  capabilities: Record<string, number>;
  mode: Record<'S_IFCHR' | 'S_IFBLK' | 'S_IFIFO' | 'S_IFREG' | 'S_IFDIR' | 'S_IFMT', number>;
  steps: Record<StepName, number>;
  messages: Record<MessageName, number>;
  plan: { MAGIC: number; VERSION: number; MAX_GROUPS: number };
}

export type StepName =
  | 'SETNS' | 'UNSHARE' | 'SYNC_IDMAPS' | 'SET_ROOT_IDS' | 'ROOTFS' | 'MOUNT' | 'MKNOD' | 'SYMLINK' | 'MASK'
  | 'READONLY' | 'PIVOT_ROOT' | 'ROOT_READONLY' | 'ROOT_PROPAGATION' | 'HOSTNAME' | 'DOMAINNAME' | 'WRITE_FILE'
  | 'LOOPBACK_UP' | 'RLIMIT' | 'CAP_BOUNDING' | 'SET_USER' | 'CAPS' | 'UMASK' | 'NO_NEW_PRIVS' | 'CHDIR'
  | 'BARRIER' | 'EXEC' | 'FORK_INIT' | 'MKDIR' | 'SYNC_CGROUPS' | 'SECCOMP' | 'OPEN_BARRIER' | 'CHECK_EXEC'
  | 'CONSOLE' | 'SYNC_HOOKS' | 'STDIN_DATA' | 'SETNS_PID' | 'SESSION_KEYRING' | 'ENTER_CGROUP';

export type MessageName =
  | 'ERROR' | 'IDMAPS' | 'GO' | 'READY' | 'ABORT' | 'PID' | 'EXEC' | 'CGROUPS' | 'SECCOMP' | 'WAITING' | 'CONSOLE' | 'HOOKS';

export interface NativeBinding {
  constants: NativeConstants;

  /**
   * setns/unshare for the calling process: refused (EINVAL) when it has more
   * than one thread, which a Node process always has; they are for
   * single-threaded helpers. Containers get their namespaces from spawn().
   */
  setns(path: string, nstype: number): void;
  /**
   * A new network namespace with its loopback up, made on a worker thread:
   * resolves to an fd of it (close it once a process has joined it).
   */
  newNetns(): Promise<number>;
  unshare(flags: number): void;
  /** sethostname(2) in the calling process's uts namespace (the host's, for a runtime that made none). */
  sethostname(name: string): void;

  /** mount(2); empty strings stand for NULL. */
  mount(source: string, target: string, fstype: string, flags: number, data?: string): void;
  umount2(target: string, flags?: number): void;
  pivotRoot(newRoot: string, putOld: string): void;

  /** One write(2) of the whole value to a cgroup (or /proc, /sys) file. */
  writeKernelFile(path: string, value: string): void;
  /**
   * flock(2): a shared or exclusive lock on the open file. With `wait` it
   * blocks (the thread) until granted and returns true; without, false when
   * another open file holds a conflicting lock.
   */
  flock(fd: number, exclusive: boolean, wait: boolean): boolean;

  /** Resolves when fd is readable, watched in the event loop. */
  waitReadable(fd: number): Promise<void>;

  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** Reaps the process behind the pidfd; null while it is still running. */
  waitPidfd(pidfd: number): ExitStatus | null;
  closeFd(fd: number): void;
  /** A sync message (with `fd` when one came along: SECCOMP's listener, CONSOLE's pty master); null at EOF; undefined when none is waiting. */
  recvSyncMsg(fd: number): SyncMessage | null | undefined;
  sendSyncMsg(fd: number, kind: number, step: number, value: number): void;
  /** _exit(2): ends the process without Node's teardown. Optional: an addon built before it existed lacks it. */
  exitNow?(code: number): never;

  /**
   * Connects to the unix stream socket at `path` and sends `data`, the fds
   * attached to it (SCM_RIGHTS), then closes; synchronous. The fds stay open
   * here. Errors name the syscall (socket, connect, sendmsg) and the path; a
   * path too long for a socket address is ENAMETOOLONG.
   */
  sendToUnixSocket(path: string, data: Buffer, fds: number[]): void;

  /** pipe2(2) with O_CLOEXEC: [read end, write end]. */
  pipe(): [number, number];
  /** mkfifo(3) at `path` with `mode` (the umask applies). */
  mkfifo(path: string, mode: number): void;
  /** Moves `from` to `to` atomically: an existing `to` is swapped out (RENAME_EXCHANGE) and unlinked; otherwise rename(2). */
  replaceFile(from: string, to: string): void;
  /** `data` written to `tmp` (created with `mode`), then replaceFile(tmp, to): on a worker thread, in one job. */
  writeFileAtomic(tmp: string, to: string, data: string, mode: number): Promise<void>;
  /** Whether the kernel's seccomp has this SECCOMP_RET_* action (SECCOMP_GET_ACTION_AVAIL). */
  seccompActionAvailable(action: number): boolean;
  /** Whether the kernel knows this SECCOMP_FILTER_FLAG_* (probed without loading anything). */
  seccompFlagSupported(flag: number): boolean;

  /** A close-on-exec copy of fd (F_DUPFD_CLOEXEC). */
  dupFd(fd: number): number;
  /** TIOCSWINSZ: the window size of a terminal (a pty master). */
  setWindowSize(fd: number, rows: number, cols: number): void;

  /** The name and text of an errno (positive), as the native errors give them. */
  errnoText(errno: number): { code: string; message: string };

  /**
   * Clones the container child running the encoded plan. The fds the child
   * keeps open sit at or above minFd (3 + the fds preserved for the container).
   * With ownMemory the child gets a copy of this process's memory instead of
   * sharing it (no CLONE_VM), keeps only its arena and the addon, and may
   * outlive this process (a fifo barrier); its arena here is released at once.
   * stdio: fds of this process that become the child's 0, 1 and 2 (-1: keep
   * the inherited one).
   */
  spawn(plan: Buffer, cloneFlags: number, cgroupFd: number, minFd?: number, ownMemory?: boolean, stdio?: [number, number, number]): Spawned;
  /** Frees a child's memory; only once it has exec'd or died. */
  releaseArena(arena: SpawnArena): void;

  /**
   * Makes `insns` (eBPF, from compileDeviceProgram) the device filter of a
   * cgroup v2 directory: loads it, attaches it with BPF_F_ALLOW_MULTI, then
   * detaches the programs attached there before, so there is never a moment
   * without a filter. A program the kernel refuses throws with the
   * verifier's log in the message.
   */
  attachDeviceProgram(cgroupDir: string, insns: Buffer): void;
  /** The ids of the device programs attached to the cgroup v2 directory itself. */
  deviceProgramIds(cgroupDir: string): number[];
}
