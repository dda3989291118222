// ociish state ID
import { parseVerb } from '../args';
import { runtimeOf, type CommandContext } from '../context';

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
  const c = await runtimeOf(ctx).load(parsed.positionals[0]!);
  ctx.out(JSON.stringify(await c.state(), null, 2) + '\n');
  return 0;
}
