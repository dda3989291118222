// ociish kill [--all] ID [SIGNAL]
import { parseVerb } from '../args';
import { runtimeOf, type CommandContext } from '../context';
import { parseSignal } from '../signals';

export const killHelp = `Usage: ociish kill [options] <container-id> [signal]

Sends a signal (default SIGTERM) to the container's process. The signal is a
number or a name, with or without "SIG" (9, KILL, SIGKILL).

Options:
  -a, --all    send it to every process in the container's cgroup
  -h, --help   show this help
`;

export async function kill(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'kill', killHelp, args, { all: { type: 'boolean', short: 'a' } }, { min: 1, max: 2, what: 'a container id and an optional signal' });
  if (!parsed) return 0;
  const [id, signal = 'SIGTERM'] = parsed.positionals;
  await (await runtimeOf(ctx).load(id!)).kill(parseSignal(signal), { all: parsed.values.all ?? false });
  return 0;
}
