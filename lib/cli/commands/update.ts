// ociish update --resources FILE|- ID
import * as fs from 'node:fs';
import { resourcesSchema } from '../../spec';
import { ConfigError } from '../../errors';
import { parseVerb, UsageError } from '../args';
import { runtimeOf, type CommandContext } from '../context';

export const updateHelp = `Usage: ociish update --resources FILE <container-id>

Applies new resource limits (a linux.resources object as JSON; "-" reads it
from stdin) to a live container's cgroup.

Options:
  -r, --resources FILE   the resources JSON (FILE or -)
  -h, --help             show this help
`;

export async function update(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'update', updateHelp, args, { resources: { type: 'string', short: 'r' } }, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  const file = parsed.values.resources;
  if (file === undefined) throw new UsageError('update: --resources FILE is required (ociish takes the limits as linux.resources JSON)');
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (e) {
    throw new ConfigError('', `--resources ${file}: ${(e as Error).message}`);
  }
  await (await runtimeOf(ctx).load(parsed.positionals[0]!)).update(resourcesSchema.parse(value, ''));
  return 0;
}
