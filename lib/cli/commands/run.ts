// ociish run [options] ID
import { shellExitCode } from '../../api/exit';
import * as path from 'node:path';
import { native } from '../../native';
import { writeFileAtomic } from '../../runtime/container';
import { checkId } from '../../runtime/state';
import { loadBundleConfig } from '../../spec';
import { parseVerb, UsageError, wholeNumber } from '../args';
import { createOptions, refuseNoPivot } from './create';
import { SignalForwarder } from '../signal-forwarder';
import { TerminalProxy } from '../terminal-proxy';
import { runtimeOf, type CommandContext } from '../context';

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
      --no-new-keyring      keep the caller's session keyring (default: a new one named after the container)
  -h, --help                show this help
`;

export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'run', runHelp, args, { ...createOptions, detach: { type: 'boolean', short: 'd' }, keep: { type: 'boolean' } }, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  refuseNoPivot('run', values['no-pivot']);
  const preservedFds = wholeNumber('run', '--preserve-fds', values['preserve-fds']);
  const id = positionals[0]!;
  checkId(id);
  const bundle = values.bundle ?? process.cwd();
  const runtime = runtimeOf(ctx);
  const common = {
    preservedFds,
    consoleSocket: values['console-socket'],
    noNewKeyring: values['no-new-keyring'] ?? false,
  };
  if (values.detach) {
    const c = await runtime.create(id, { bundle }, { ...common, detached: true, pidFile: values['pid-file'], pidfdSocket: values['pidfd-socket'] });
    try {
      await c.start();
    } catch (e) {
      // As runc: a container that could not start is not left behind.
      await c.delete({ force: true });
      throw e;
    }
    return 0;
  }
  if (values['pidfd-socket']) throw new UsageError('run: --pidfd-socket needs --detach');

  // A terminal with no console socket is proxied to ours, as runc does; the
  // pty then gets our window size, and the kernel tells the container.
  const spec = loadBundleConfig(bundle);
  let proxy: TerminalProxy | undefined;
  const onConsole = spec.process?.terminal && !values['console-socket'] ? (fd: number) => void (proxy = new TerminalProxy(native.dupFd(fd))) : undefined;
  const signals = new SignalForwarder(() => (proxy ? (proxy.resize(), true) : false));
  try {
    const result = await runtime.run(id, { spec, bundle }, {
      ...common,
      keep: values.keep ?? false,
      onConsole,
      onStart: (container) => {
        if (values['pid-file']) writeFileAtomic(path.resolve(values['pid-file']), String(container.pid));
        proxy?.start();
        signals.attach((signal) => container.kill(signal));
      },
    });
    await proxy?.finish();
    return shellExitCode(result);
  } finally {
    signals.dispose();
  }
}
