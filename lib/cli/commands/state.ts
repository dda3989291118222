// ociish state ID
import { LoadedContainer } from '../../runtime/container';
import { parseVerb } from '../args';
import type { CommandContext } from '../context';

export const stateHelp = `Usage: ociish state <container-id>

Prints the container's state as JSON: the runtime spec's fields (ociVersion,
id, status, pid, bundle, annotations) and runc's (rootfs, created, owner).
A container whose process has exited is "stopped", with pid 0.

Options:
  -h, --help   show this help
`;

export async function state(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'state', stateHelp, args, {}, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  const c = LoadedContainer.load(ctx.root, parsed.positionals[0]!);
  try {
    ctx.out(JSON.stringify(c.state(), null, 2) + '\n');
  } finally {
    c.release();
  }
  return 0;
}
