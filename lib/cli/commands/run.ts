// ociish run [options] ID
import * as os from 'node:os';
import { native } from '../../native';
import { runContainer, exitCode } from '../../runtime/run';
import * as path from 'node:path';
import { writeFileAtomic } from '../../runtime/container';
import { createContainer } from '../../runtime/create';
import { startContainer } from '../../runtime/start';
import { checkId, seccompCacheDir } from '../../runtime/state';
import { loadBundleConfig } from '../../spec';
import { parseVerb, UsageError, wholeNumber } from '../args';
import { createOptions, refuseNoPivot } from './create';
import { TerminalProxy } from '../terminal-proxy';
import type { CommandContext } from '../context';

export const runHelp = `Usage: ociish run [options] <container-id>

Creates and starts a container from a bundle and waits for it: the
container's process gets this command's stdin, stdout and stderr, its exit
code is this command's exit code (128+N when killed by signal N), and the
container is removed when it exits.

With process.terminal and no --console-socket, the container's pty is
proxied to this command's terminal (raw mode, window size kept in step).
With --detach it is 'ociish create' followed by 'ociish start': the
container keeps running after this command returns.

Options:
  -b, --bundle DIR          bundle directory holding config.json (default: the current directory)
  -d, --detach              return once the container runs
      --keep                keep the stopped container (its state and cgroup) for 'ociish delete'
      --pid-file FILE       write the container process's pid to FILE
      --console-socket SOCK send the pty master (process.terminal) to this unix socket
      --pidfd-socket SOCK   send a pidfd of the container process to this unix socket (--detach)
      --preserve-fds N      pass N extra file descriptors (3, 4, ...) to the container
      --no-pivot            refused: MS_MOVE + chroot instead of pivot_root is not supported yet
      --no-new-keyring      keep the caller's session keyring (ociish never makes a new one yet)
  -h, --help                show this help
`;

/** Signals forwarded to the container's init, as runc does. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'run', runHelp, args, { ...createOptions, detach: { type: 'boolean', short: 'd' }, keep: { type: 'boolean' } }, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  refuseNoPivot('run', values['no-pivot']);
  const preservedFds = wholeNumber('run', '--preserve-fds', values['preserve-fds']);
  const id = positionals[0]!;
  checkId(id);
  const bundle = values.bundle ?? process.cwd();
  const spec = loadBundleConfig(bundle);
  const common = {
    root: ctx.root,
    id,
    bundle,
    spec,
    preservedFds,
    consoleSocket: values['console-socket'],
    seccompCacheDir: seccompCacheDir(ctx.root),
    onWarning: (w: string) => ctx.log.warn(w),
  };
  if (values.detach) {
    await createContainer({ ...common, pidFile: values['pid-file'], pidfdSocket: values['pidfd-socket'] });
    await startContainer(ctx.root, id);
    return 0;
  }
  if (values['pidfd-socket']) throw new UsageError('run: --pidfd-socket needs --detach');

  // Handlers go in before the container exists, so that no signal can end
  // ociish (and orphan the container) in between; what arrives before the
  // container runs is delivered once it does.
  let pidfd = -1;
  const early: number[] = [];
  const forward = (signal: number) => {
    if (pidfd < 0) return void early.push(signal);
    try {
      native.pidfdSendSignal(pidfd, signal);
    } catch {
      // the container is already gone
    }
  };
  // A terminal with no console socket is proxied to ours, as runc does; the
  // pty then gets our window size, and the kernel tells the container.
  let proxy: TerminalProxy | undefined;
  const onConsole = spec.process?.terminal && !values['console-socket'] ? (fd: number) => void (proxy = new TerminalProxy(native.dupFd(fd))) : undefined;
  const handlers = FORWARDED.map((name) => [name, () => (name === 'SIGWINCH' && proxy ? proxy.resize() : forward(os.constants.signals[name]))] as const);
  for (const [name, handler] of handlers) process.on(name, handler);
  try {
    const status = await runContainer({
      ...common,
      keep: values.keep ?? false,
      onConsole,
      onStart: (container) => {
        if (values['pid-file']) writeFileAtomic(path.resolve(values['pid-file']), String(container.pid));
        proxy?.start();
        pidfd = container.pidfd;
        for (const signal of early.splice(0)) forward(signal);
      },
    });
    await proxy?.finish();
    return exitCode(status);
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
