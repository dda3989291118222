// ociish exec [options] ID [COMMAND [ARGS...]]
import { shellExitCode } from '../../api/exit';
import { LoadedContainer } from '../../runtime/container';
import { loadProcessFile, parseProcess, type Process } from '../../spec';
import { parseVerb, UsageError, wholeNumber } from '../args';
import { SignalForwarder } from '../signal-forwarder';
import { runtimeOf, type CommandContext } from '../context';

export const execHelp = `Usage: ociish exec [options] <container-id> [command [args...]]

Runs a process in a running container: it joins the container's namespaces
and cgroup, with the container's process settings (user, env, cwd,
capabilities, rlimits, seccomp) changed by the options below. Without
--detach, this command's exit code is the process's (128+N if killed by N).

Options:
  -p, --process FILE        the process as OCI process JSON (the other process options are then ignored)
  -d, --detach              return once the process runs
      --pid-file FILE       write the process's pid to FILE
  -t, --tty                 allocate a pseudo-terminal (needs --console-socket)
      --console-socket SOCK send the pty master to this unix socket
      --pidfd-socket SOCK   send a pidfd of the process to this unix socket
      --cwd DIR             working directory in the container
  -e, --env NAME=VALUE      add an environment variable (repeatable)
  -u, --user UID[:GID]      run as this user
  -g, --additional-gids GID add a supplementary group (repeatable)
  -c, --cap CAP             add a capability (repeatable)
      --no-new-privs        set no_new_privs
      --preserve-fds N      pass N extra file descriptors (3, 4, ...) to the process
      --ignore-paused       refused: a process joining a frozen cgroup would hang this command
  -h, --help                show this help
`;

function uid(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`exec: ${flag} takes numeric ids, not "${text}"`);
  return Number(text);
}

/** The container's own process changed by the flags, as runc does. */
function processFromFlags(base: Process, args: string[], v: Record<string, string | string[] | boolean | undefined>): Process {
  if (args.length === 0) throw new UsageError('exec: expects a command after the container id (or --process FILE)');
  const p = structuredClone(base) as Process & Record<string, unknown>;
  p.args = args;
  p.terminal = v.tty === true;
  if (typeof v.cwd === 'string') p.cwd = v.cwd;
  if (Array.isArray(v.env)) p.env = [...(p.env ?? []), ...v.env];
  if (typeof v.user === 'string') {
    const [u, g] = v.user.split(':');
    p.user = { ...p.user, uid: uid(u!, '--user'), gid: g === undefined ? p.user.gid : uid(g, '--user') };
  }
  if (Array.isArray(v['additional-gids'])) p.user = { ...p.user, additionalGids: v['additional-gids'].map((g) => uid(g, '--additional-gids')) };
  if (Array.isArray(v.cap)) {
    const caps = { ...p.capabilities };
    caps.bounding = [...(caps.bounding ?? []), ...v.cap];
    caps.effective = [...(caps.effective ?? []), ...v.cap];
    caps.permitted = [...(caps.permitted ?? []), ...v.cap];
    // An ambient capability also needs an inheritable one: only where the config has those.
    if (caps.inheritable) caps.ambient = [...(caps.ambient ?? []), ...v.cap];
    p.capabilities = caps;
  }
  if (v['no-new-privs'] === true) p.noNewPrivileges = true;
  return parseProcess(p);
}

export async function exec(ctx: CommandContext, args: string[]): Promise<number> {
  // The command's own arguments start after the id: stop parsing flags there.
  const idAt = findId(args);
  const parsed = parseVerb(ctx.out, 'exec', execHelp, args.slice(0, idAt + 1), {
    process: { type: 'string', short: 'p' },
    detach: { type: 'boolean', short: 'd' },
    'pid-file': { type: 'string' },
    tty: { type: 'boolean', short: 't' },
    'console-socket': { type: 'string' },
    'pidfd-socket': { type: 'string' },
    cwd: { type: 'string' },
    env: { type: 'string', short: 'e', multiple: true },
    user: { type: 'string', short: 'u' },
    'additional-gids': { type: 'string', short: 'g', multiple: true },
    cap: { type: 'string', short: 'c', multiple: true },
    'no-new-privs': { type: 'boolean' },
    'preserve-fds': { type: 'string' },
    'ignore-paused': { type: 'boolean' },
  }, { min: 1, max: 1, what: 'a container id, then the command' });
  if (!parsed) return 0;
  const { values } = parsed;
  const id = parsed.positionals[0]!;
  if (values['ignore-paused']) throw new UsageError('exec: --ignore-paused is not supported (resume the container first)');
  const container = await runtimeOf(ctx).load(id);
  let proc: Process;
  if (values.process !== undefined) {
    proc = loadProcessFile(values.process);
  } else {
    const c = LoadedContainer.load(ctx.root, id);
    const base = c.stored.config.process!;
    c.release();
    proc = processFromFlags(base, args.slice(idAt + 1), values);
  }
  const signals = values.detach ? undefined : new SignalForwarder();
  try {
    const p = await container.exec(proc, {
      inherit: false,
      detach: values.detach ?? false,
      pidFile: values['pid-file'],
      consoleSocket: values['console-socket'],
      pidfdSocket: values['pidfd-socket'],
      preservedFds: wholeNumber('exec', '--preserve-fds', values['preserve-fds']),
    });
    if (!signals) return 0;
    signals.attach((signal) => p.kill(signal));
    return shellExitCode(await p.wait());
  } finally {
    signals?.dispose();
  }
}

/** The index of the container id: the first argument that is neither a flag nor a flag's value. */
function findId(args: string[]): number {
  const withValue = new Set(['-p', '--process', '--pid-file', '--console-socket', '--pidfd-socket', '--cwd', '-e', '--env', '-u', '--user', '-g', '--additional-gids', '-c', '--cap', '--preserve-fds']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (withValue.has(a)) i++;
    else if (!a.startsWith('-')) return i;
  }
  return args.length - 1;
}
