// ociish spec [--bundle DIR] [--rootless]
import * as path from 'node:path';
import { writeDefaultSpec } from '../../bundle/default-spec';
import { parseCommand, UsageError } from '../args';
import type { CommandContext } from '../context';

export const specHelp = `Usage: ociish spec [options]

Writes a default config.json in the bundle directory, like runc spec, but
with terminal false so that it runs as is (put a root filesystem in rootfs/).

Options:
  -b, --bundle DIR   where to write config.json (default: the current directory)
      --rootless     a config for an unprivileged user (user namespace, id maps)
  -h, --help         show this help
`;

export async function spec(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('spec', args, {
    bundle: { type: 'string', short: 'b' },
    rootless: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    ctx.out(specHelp);
    return 0;
  }
  if (positionals.length) throw new UsageError('spec: takes no arguments');
  try {
    writeDefaultSpec(path.resolve(values.bundle ?? '.'), { rootless: values.rootless ?? false });
  } catch (e) {
    throw new UsageError((e as Error).message); // e.g. config.json exists: one line, no stack
  }
  return 0;
}
