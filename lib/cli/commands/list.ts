// ociish list [--format table|json] [-q]
import { parseVerb, UsageError } from '../args';
import { runtimeOf, type CommandContext } from '../context';

export const listHelp = `Usage: ociish list [options]

Lists the containers under the root (--root).

Options:
  -f, --format FORMAT   table (default) or json (an array of states)
  -q, --quiet           print only the ids
  -h, --help            show this help
`;

/** Columns padded like runc's tabwriter output. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('') + '\n').join('');
}

export async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'list', listHelp, args, { format: { type: 'string', short: 'f' }, quiet: { type: 'boolean', short: 'q' } }, { min: 0, max: 0, what: 'no arguments' });
  if (!parsed) return 0;
  const format = parsed.values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`list: --format must be table or json, not "${format}"`);
  const all = await runtimeOf(ctx).list();
  if (parsed.values.quiet) ctx.out(all.map((s) => s.id + '\n').join(''));
  else if (format === 'json') ctx.out(JSON.stringify(all) + '\n');
  else ctx.out(table([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])]));
  return 0;
}
