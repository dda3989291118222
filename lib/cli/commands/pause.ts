// ociish pause ID / ociish resume ID
import { parseVerb } from '../args';
import { runtimeOf, type CommandContext } from '../context';

export const pauseHelp = `Usage: ociish pause <container-id>

Freezes every process of the container (cgroup freezer).

Options:
  -h, --help   show this help
`;

export const resumeHelp = `Usage: ociish resume <container-id>

Thaws a paused container.

Options:
  -h, --help   show this help
`;

export async function pause(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'pause', pauseHelp, args, {}, { min: 1, max: 1, what: 'one container id' });
  if (parsed) await (await runtimeOf(ctx).load(parsed.positionals[0]!)).pause();
  return 0;
}

export async function resume(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'resume', resumeHelp, args, {}, { min: 1, max: 1, what: 'one container id' });
  if (parsed) await (await runtimeOf(ctx).load(parsed.positionals[0]!)).resume();
  return 0;
}
