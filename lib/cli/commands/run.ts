// ociish run [-b|--bundle DIR] [--preserve-fds N] ID
import * as os from 'node:os';
import { native } from '../../native';
import { runContainer, exitCode } from '../../runtime/run';
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
  const bundle = values.bundle ?? process.cwd();
  const spec = loadBundleConfig(bundle);

  const handlers: [string, () => void][] = [];
  try {
    const status = await runContainer({
      id: positionals[0]!,
      bundle,
      spec,
      root: ctx.root,
      preservedFds,
      onWarning: (w) => ctx.log.warn(w),
      onStart: (container) => {
        for (const name of FORWARDED) {
          const handler = () => {
            try {
              native.pidfdSendSignal(container.pidfd, os.constants.signals[name]);
            } catch {
              // the container is already gone
            }
          };
          process.on(name, handler);
          handlers.push([name, handler]);
        }
      },
    });
    return exitCode(status);
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
