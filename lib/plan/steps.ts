// The steps the container child runs, in order. Each carries `origin`: the
// JSON pointer into config.json it came from ('' for runtime defaults), so a
// failure in the child can name the config location.

export type Step = (
  | { kind: 'SETNS'; nstype: number; path: string }
  /** Join a new session keyring named `name` (runc's default; --no-new-keyring leaves it out). */
  | { kind: 'SESSION_KEYRING'; name: string }
  /** Join the namespaces in `flags` of process `pid` at once (setns on its pidfd). */
  | { kind: 'SETNS_PID'; pid: number; flags: number }
  | { kind: 'UNSHARE'; flags: number }
  | { kind: 'SYNC_IDMAPS' }
  /**
   * The parent puts the child in its v1 cgroups. Without `part` the child
   * asks and waits; split, it asks ('ask') and waits ('wait') later.
   */
  | { kind: 'SYNC_CGROUPS'; part?: 'ask' | 'wait' }
  | { kind: 'SET_ROOT_IDS'; setGroups: boolean }
  | {
      kind: 'ROOTFS';
      rootfs: string;
      propagation: number;
      /** the mount holding the rootfs, made private first under a shared "/" ('' if not) */
      privateParent: string;
    }
  | {
      kind: 'MOUNT';
      source: string;
      dest: string;
      fstype: string;
      data: string;
      flags: number;
      propagation: number;
      /** mount_setattr on this mount only (flags of a bind) */
      attrSet: number;
      attrClr: number;
      /** mount_setattr(AT_RECURSIVE) (the r* options) */
      recAttrSet: number;
      recAttrClr: number;
      /** what to create at dest when missing: 0 nothing, 1 directory, 2 file */
      create: 0 | 1 | 2;
      /** tmpcopyup: copy what dest held in the rootfs into the new tmpfs */
      copyUp: boolean;
    }
  | { kind: 'MKNOD'; dest: string; mode: number; major: number; minor: number; uid: number; gid: number; bindFrom: string | null }
  | { kind: 'SYMLINK'; target: string; dest: string; ignoreExisting: boolean }
  | { kind: 'MASK'; dest: string }
  | { kind: 'READONLY'; dest: string }
  | { kind: 'PIVOT_ROOT' }
  | { kind: 'ROOT_READONLY' }
  | { kind: 'ROOT_PROPAGATION'; flags: number }
  | { kind: 'HOSTNAME'; name: string }
  | { kind: 'DOMAINNAME'; name: string }
  | {
      kind: 'WRITE_FILE';
      path: string;
      content: string;
      /** resolve path inside the container's root (before pivot_root) */
      inRoot: boolean;
      /** the filesystem the file must be on (statfs f_type), 0 for any */
      fsMagic: number;
    }
  | { kind: 'LOOPBACK_UP' }
  | { kind: 'RLIMIT'; name: string; resource: number; soft: bigint; hard: bigint }
  | { kind: 'CAP_BOUNDING'; keep: bigint; lastCap: number }
  | { kind: 'SET_USER'; uid: number; gid: number; setGroups: boolean; groups: number[] }
  | { kind: 'CAPS'; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint }
  | { kind: 'UMASK'; mask: number }
  | { kind: 'NO_NEW_PRIVS' }
  | { kind: 'CHDIR'; path: string; soft: boolean }
  | { kind: 'BARRIER' }
  | { kind: 'EXEC'; args: string[]; env: string[]; pathDirs: string[] | null; preservedFds: number; /** the file to run when it is not args[0] (a hook's path) */ file?: string }
  /** Stdin becomes a pipe holding `data`, then EOF (a hook's state JSON). */
  | { kind: 'STDIN_DATA'; data: string }
  /** Clone the container's init into a joined or unshared pid namespace; it runs the rest. */
  | { kind: 'FORK_INIT' }
  | { kind: 'MKDIR'; dest: string }
  /**
   * Load a seccomp filter: `program` is classic BPF (struct sock_filter, 8
   * bytes each, little-endian); with `listener` the parent gets the notify fd.
   */
  | { kind: 'SECCOMP'; flags: number; program: Buffer; listener: boolean }
  /** Open the start fifo (a host path, so the first step); BARRIER then waits on it instead of the parent. */
  | { kind: 'OPEN_BARRIER'; path: string }
  /** Moves the child into a v1 cgroup by itself (0 into the `tasks` file): no parent handshake, no global lock. */
  | { kind: 'ENTER_CGROUP'; tasksFile: string }
  /** EXEC's lookup of the file without the execve: a missing entrypoint fails `create`, as with runc. */
  | { kind: 'CHECK_EXEC'; file: string; pathDirs: string[] | null }
  /** A pty of the container's devpts as stdio; the parent gets the master (process.terminal). */
  | { kind: 'CONSOLE'; size: { rows: number; cols: number } | null }
  /** Wait while the parent runs the hooks that see the namespaces (before pivot_root). */
  | { kind: 'SYNC_HOOKS' }
) & { origin: string };

export type StepKind = Step['kind'];

/** User/group id maps the parent writes while the child waits (SYNC_IDMAPS). */
export interface IdMaps {
  uidMap: string;
  gidMap: string;
  /** write "deny" to /proc/PID/setgroups first (an unprivileged runtime must) */
  denySetgroups: boolean;
}

export interface Plan {
  steps: Step[];
  /** Namespaces created by clone3 itself (CLONE_NEW* flags). */
  cloneFlags: number;
  idMaps: IdMaps | null;
  /** It joins a network namespace made ahead (BuildOptions.premadeNetns): give it with joinPremadeNetns. */
  premadeNetns?: boolean;
  /** Things accepted with a caveat (an unknown capability, an ambient cap that cannot be raised). */
  warnings: string[];
}

/** What a step does and to which path, for error messages. */
export function describeStep(step: Step): { operation: string; path: string | undefined } {
  switch (step.kind) {
    case 'SETNS': return { operation: 'join namespace', path: step.path };
    case 'SETNS_PID': return { operation: 'join the namespaces of process', path: String(step.pid) };
    case 'SESSION_KEYRING': return { operation: 'join a new session keyring', path: step.name };
    case 'UNSHARE': return { operation: 'unshare namespaces', path: undefined };
    case 'SYNC_IDMAPS': return { operation: 'wait for uid/gid maps', path: undefined };
    case 'SYNC_CGROUPS': return { operation: step.part === 'ask' ? 'ask to join the cgroups' : 'wait to join the cgroups', path: undefined };
    case 'SET_ROOT_IDS': return { operation: 'become root in the user namespace', path: undefined };
    case 'ROOTFS': return { operation: 'prepare rootfs', path: step.rootfs };
    case 'MOUNT': return { operation: `mount ${step.fstype || 'bind'}${step.copyUp ? ' (tmpcopyup)' : ''}`, path: step.source ? `${step.source} on ${step.dest}` : step.dest };
    case 'MKNOD': return { operation: step.bindFrom ? 'bind device' : 'mknod', path: step.dest };
    case 'SYMLINK': return { operation: 'symlink', path: `${step.dest} -> ${step.target}` };
    case 'MASK': return { operation: 'mask path', path: step.dest };
    case 'READONLY': return { operation: 'make path read-only', path: step.dest };
    case 'PIVOT_ROOT': return { operation: 'pivot_root', path: undefined };
    case 'ROOT_READONLY': return { operation: 'make rootfs read-only', path: '/' };
    case 'ROOT_PROPAGATION': return { operation: 'set rootfs propagation', path: '/' };
    case 'HOSTNAME': return { operation: 'sethostname', path: step.name };
    case 'DOMAINNAME': return { operation: 'setdomainname', path: step.name };
    case 'WRITE_FILE': return { operation: 'write', path: step.path };
    case 'LOOPBACK_UP': return { operation: 'bring up loopback', path: 'lo' };
    case 'RLIMIT': return { operation: 'setrlimit', path: step.name };
    case 'CAP_BOUNDING': return { operation: 'drop bounding capabilities', path: undefined };
    case 'SET_USER': return { operation: 'set user', path: `${step.uid}:${step.gid}` };
    case 'CAPS': return { operation: 'set capabilities', path: undefined };
    case 'UMASK': return { operation: 'umask', path: undefined };
    case 'NO_NEW_PRIVS': return { operation: 'set no_new_privs', path: undefined };
    case 'CHDIR': return { operation: 'chdir', path: step.path };
    case 'BARRIER': return { operation: 'wait for start', path: undefined };
    case 'EXEC': return { operation: 'exec', path: step.args[0] };
    case 'FORK_INIT': return { operation: 'clone the container init', path: undefined };
    case 'MKDIR': return { operation: 'mkdir', path: step.dest };
    case 'SECCOMP': return { operation: 'load seccomp filter', path: undefined };
    case 'OPEN_BARRIER': return { operation: 'open the start fifo', path: step.path };
    case 'ENTER_CGROUP': return { operation: 'join cgroup', path: step.tasksFile };
    case 'CHECK_EXEC': return { operation: 'find the executable', path: step.file };
    case 'STDIN_DATA': return { operation: 'give the state on stdin', path: undefined };
    case 'CONSOLE': return { operation: 'set up the console', path: undefined };
    case 'SYNC_HOOKS': return { operation: 'wait for hooks', path: undefined };
  }
}
