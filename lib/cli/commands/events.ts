// ociish events [--stats] [--interval DURATION] ID
import { LoadedContainer } from '../../runtime/container';
import { parseVerb, UsageError } from '../args';
import type { CommandContext } from '../context';

export const eventsHelp = `Usage: ociish events [options] <container-id>

Prints the container's events as JSON lines, as runc does: a "stats" event
(cgroup resource usage) every interval, and an "oom" event when the kernel's
OOM killer strikes in the container; ends when the container stops.

Options:
      --stats              print one stats event and exit
      --interval DURATION  time between stats events (default 5s; e.g. 500ms, 2s, 1m)
  -h, --help               show this help
`;

/** A Go-style duration: 500ms, 2s, 1m, 1.5s. */
function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new UsageError(`events: --interval must be a duration such as 500ms, 5s or 1m, not "${text}"`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (!(ms > 0)) throw new UsageError('events: --interval must be positive');
  return ms;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function events(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'events', eventsHelp, args, { stats: { type: 'boolean' }, interval: { type: 'string' } }, { min: 1, max: 1, what: 'one container id' });
  if (!parsed) return 0;
  const id = parsed.positionals[0]!;
  const interval = parseDuration(parsed.values.interval ?? '5s');
  let ooms: number | undefined;
  for (;;) {
    const c = LoadedContainer.load(ctx.root, id);
    let line: string;
    try {
      c.require(['created', 'running', 'paused'], 'report events');
      const data = c.cgroup.stats();
      const oomKills = c.cgroup.oomKills();
      if (ooms !== undefined && oomKills > ooms) ctx.out(JSON.stringify({ type: 'oom', id }) + '\n');
      ooms = oomKills;
      line = JSON.stringify({ type: 'stats', id, data }) + '\n';
    } catch (e) {
      // The container ending is the end of the stream, not an error.
      if (ooms !== undefined) return 0;
      throw e;
    } finally {
      c.release();
    }
    ctx.out(line);
    if (parsed.values.stats) return 0;
    await sleep(interval);
  }
}
