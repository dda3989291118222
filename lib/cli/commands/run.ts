// ociish run [-b|--bundle DIR] [--preserve-fds N] ID
import * as os from 'node:os';
import { native } from '../../native';
import { runContainer, exitCode } from '../../runtime/run';
import { checkId, seccompCacheDir } from '../../runtime/state';
import { loadBundleConfig } from '../../spec';
import { parseCommand, UsageError } from '../args';
import type { CommandContext } from '../context';

export const runHelp = `Usage: ociish run [options] <container-id>

Creates and starts a container from a bundle and waits for it: the
container's process gets this command's stdin, stdout and stderr, its exit
code is this command's exit code (128+N when killed by signal N), and the
container is removed when it exits.

Options:
  -b, --bundle DIR       bundle directory holding config.json (default: the current directory)
      --preserve-fds N   pass N extra file descriptors (3, 4, ...) to the container
  -h, --help             show this help
`;

/** Signals forwarded to the container's init, as runc does. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('run', args, {
    bundle: { type: 'string', short: 'b' },
    'preserve-fds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    ctx.out(runHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('run: expects exactly one container id');
  const preservedFds = values['preserve-fds'] === undefined ? 0 : Number(values['preserve-fds']);
  if (!Number.isInteger(preservedFds) || preservedFds < 0) throw new UsageError('run: --preserve-fds must be a whole number');
  const id = positionals[0]!;
  checkId(id);
  const bundle = values.bundle ?? process.cwd();
  const spec = loadBundleConfig(bundle);

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
  const handlers = FORWARDED.map((name) => [name, () => forward(os.constants.signals[name])] as const);
  for (const [name, handler] of handlers) process.on(name, handler);
  try {
    const status = await runContainer({
      id,
      bundle,
      spec,
      root: ctx.root,
      preservedFds,
      seccompCacheDir: seccompCacheDir(ctx.root),
      onWarning: (w) => ctx.log.warn(w),
      onStart: (container) => {
        pidfd = container.pidfd;
        for (const signal of early.splice(0)) forward(signal);
      },
    });
    return exitCode(status);
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
