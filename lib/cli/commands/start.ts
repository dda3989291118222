// ociish start ID
import { parseVerb } from '../args';
import { runtimeOf, type CommandContext } from '../context';

export const startHelp = `Usage: ociish start <container-id>

Starts a created container: its process execs the configured program.

Options:
  -h, --help   show this help
`;

export async function start(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'start', startHelp, args, {}, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  await (await runtimeOf(ctx).load(parsed.positionals[0]!)).start();
  return 0;
}
