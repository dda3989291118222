// ociish ps [--format table|json] ID [ps options]
import { spawnSync } from 'node:child_process';
import { LoadedContainer } from '../../runtime/container';
import { parseVerb, UsageError } from '../args';
import type { CommandContext } from '../context';

export const psHelp = `Usage: ociish ps [options] <container-id> [ps options]

Shows the processes running in the container (its cgroup). The table comes
from ps(1) with the given options (default -ef), filtered to those pids.

Options:
  -f, --format FORMAT   table (default) or json (an array of pids)
  -h, --help            show this help
`;

/** ociish's own flags and the id, then what belongs to ps(1). */
function splitAtId(args: string[]): [string[], string[]] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-f' || a === '--format') i++;
    else if (!a.startsWith('-')) return [args.slice(0, i + 1), args.slice(i + 1)];
  }
  return [args, []];
}

export async function ps(ctx: CommandContext, args: string[]): Promise<number> {
  const [own, psArgs] = splitAtId(args);
  const parsed = parseVerb(ctx.out, 'ps', psHelp, own, { format: { type: 'string', short: 'f' } }, { min: 1, max: 1, what: 'a container id' });
  if (!parsed) return 0;
  const format = parsed.values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`ps: --format must be table or json, not "${format}"`);
  const c = LoadedContainer.load(ctx.root, parsed.positionals[0]!);
  let pids: number[];
  try {
    c.require(['created', 'running', 'paused'], 'list processes');
    pids = c.cgroup.pids();
  } finally {
    c.release();
  }
  if (format === 'json') {
    ctx.out(JSON.stringify(pids) + '\n');
    return 0;
  }
  const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new UsageError(`ps: running ps(1) failed: ${r.error?.message ?? r.stderr.trim()}`);
  const [header = '', ...lines] = r.stdout.split('\n');
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new UsageError('ps: the ps(1) output has no PID column');
  const wanted = new Set(pids);
  ctx.out([header, ...lines.filter((l) => wanted.has(Number(l.trim().split(/\s+/)[pidColumn])))].join('\n') + '\n');
  return 0;
}
