// ociish create [options] ID
import { parseVerb, UsageError, wholeNumber } from '../args';
import { runtimeOf, type CommandContext } from '../context';

export const createHelp = `Usage: ociish create [options] <container-id>

Creates a container from a bundle and leaves its process waiting, before
execve, for 'ociish start'. The process is this command's child until it
exits, so it is reparented to the caller's subreaper (conmon, a shim).

Options:
  -b, --bundle DIR          bundle directory holding config.json (default: the current directory)
      --pid-file FILE       write the container process's pid to FILE
      --console-socket SOCK send the pty master (process.terminal) to this unix socket
      --pidfd-socket SOCK   send a pidfd of the container process to this unix socket
      --preserve-fds N      pass N extra file descriptors (3, 4, ...) to the container
      --no-pivot            refused: MS_MOVE + chroot instead of pivot_root is not supported yet
      --no-new-keyring      keep the caller's session keyring (default: a new one named after the container)
  -h, --help                show this help
`;

export const createOptions = {
  bundle: { type: 'string', short: 'b' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'pidfd-socket': { type: 'string' },
  'preserve-fds': { type: 'string' },
  'no-pivot': { type: 'boolean' },
  'no-new-keyring': { type: 'boolean' },
} as const;

/** runc's --no-pivot (for a rootfs on ramfs) is not implemented: say so rather than pivot anyway. */
export function refuseNoPivot(command: string, noPivot: boolean | undefined): void {
  if (noPivot) throw new UsageError(`${command}: --no-pivot is not supported yet (ociish always uses pivot_root)`);
}

export async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'create', createHelp, args, createOptions, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  refuseNoPivot('create', values['no-pivot']);
  const bundle = values.bundle ?? process.cwd();
  await runtimeOf(ctx).create(positionals[0]!, { bundle }, {
    detached: true,
    pidFile: values['pid-file'],
    consoleSocket: values['console-socket'],
    pidfdSocket: values['pidfd-socket'],
    preservedFds: wholeNumber('create', '--preserve-fds', values['preserve-fds']),
    noNewKeyring: values['no-new-keyring'] ?? false,
  });
  return 0;
}
