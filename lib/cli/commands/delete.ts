// ociish delete [--force] ID
import { parseVerb } from '../args';
import { runtimeOf, type CommandContext } from '../context';

export const deleteHelp = `Usage: ociish delete [options] <container-id>

Removes a stopped or created container: its remaining processes, its cgroup
and its state, after running its poststop hooks.

Options:
  -f, --force  kill a running or paused container first; an unknown id is not an error
  -h, --help   show this help
`;

export async function del(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'delete', deleteHelp, args, { force: { type: 'boolean', short: 'f' } }, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  await runtimeOf(ctx).delete(parsed.positionals[0]!, { force: parsed.values.force ?? false });
  return 0;
}
