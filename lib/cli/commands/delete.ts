// ociish delete [--force] ID
import { deleteContainer } from '../../runtime/delete';
import { parseVerb } from '../args';
import type { CommandContext } from '../context';

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
  await deleteContainer(ctx.root, parsed.positionals[0]!, { force: parsed.values.force ?? false, onWarning: (w) => ctx.log.warn(w) });
  return 0;
}
