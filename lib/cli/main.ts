// The ociish command line, runc-compatible: global flags, then a command.
import { ConfigError, ContainerStateError, StepError } from '../errors';
import { native } from '../native';
import { DEFAULT_ROOT, OCI_VERSION } from '../runtime/state';
import { parseGlobal, UsageError } from './args';
import type { CommandContext } from './context';
import { Logger, writeErr, writeOut } from './output';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../../../package.json').version;

const HELP = `Usage: ociish [global options] <command> [options] [arguments]

A low-level OCI container runtime, runc-compatible.

Commands:
  create    create a container, its process waiting before execve for start
  start     start a created container
  run       create and start a container (and wait for it, then remove it)
  state     print a container's state as JSON
  kill      send a signal to a container's process (or all of them)
  delete    remove a stopped container (--force: any container)
  exec      run another process in a container
  list      list the containers
  ps        list the processes of a container
  pause     freeze a container's processes
  resume    thaw a paused container
  update    change a container's resource limits
  events    print a container's resource usage and OOM events
  features  print what this runtime supports (features JSON)
  spec      write a default config.json
  bench     measure container start latency, throughput and memory (ociish, runc, crun...)

Global options:
  --root DIR            state directory (default: ${DEFAULT_ROOT})
  --log FILE            also write errors and warnings to FILE
  --log-format FORMAT   text or json (one {"level","msg","time"} object per line)
  --debug               accepted; ociish has no debug output yet
  --systemd-cgroup      refused: the systemd cgroup driver is not supported
  -v, --version         print the version
  -h, --help            show this help

Run 'ociish <command> --help' for a command's options.
`;

const LATER = new Set(['checkpoint', 'restore']);

type Command = (ctx: CommandContext, args: string[]) => Promise<number>;

// Loaded on demand: the CLI's start time is part of every container start.
const COMMANDS: Record<string, () => Command> = {
  create: () => require('./commands/create').create,
  start: () => require('./commands/start').start,
  run: () => require('./commands/run').run,
  state: () => require('./commands/state').state,
  kill: () => require('./commands/kill').kill,
  delete: () => require('./commands/delete').del,
  exec: () => require('./commands/exec').exec,
  list: () => require('./commands/list').list,
  ps: () => require('./commands/ps').ps,
  pause: () => require('./commands/pause').pause,
  resume: () => require('./commands/pause').resume,
  update: () => require('./commands/update').update,
  events: () => require('./commands/events').events,
  features: () => require('./commands/features').features,
  spec: () => require('./commands/spec').spec,
  bench: () => require('./commands/bench').bench,
};

function knownError(e: unknown): e is Error {
  return e instanceof ConfigError || e instanceof StepError || e instanceof ContainerStateError || e instanceof UsageError;
}

/**
 * The command `argv` runs, '' for global flags only, for bin/ociish's code
 * cache (one per command); undefined for an unknown command or a help page,
 * which compiles too little of the command to be worth keeping.
 */
export function cacheableCommand(argv: string[]): string | undefined {
  try {
    const { command = '', rest, help } = parseGlobal(argv);
    if (help || rest.includes('-h') || rest.includes('--help')) return undefined;
    return command === '' || Object.hasOwn(COMMANDS, command) ? command : undefined;
  } catch {
    return undefined;
  }
}

export async function main(argv: string[]): Promise<number> {
  let log = new Logger(undefined, 'text');
  try {
    const global = parseGlobal(argv);
    log = new Logger(global.log, global.logFormat);
    if (global.version) {
      writeOut(`ociish version ${VERSION}\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    if (global.help || !global.command || global.command === 'help') {
      writeOut(HELP);
      return global.command || global.help ? 0 : 1;
    }
    if (global.systemdCgroup) throw new UsageError('--systemd-cgroup: the systemd cgroup driver is not supported');
    const ctx: CommandContext = { root: global.root ?? DEFAULT_ROOT, log, out: writeOut };
    const command = COMMANDS[global.command];
    if (!command) {
      if (LATER.has(global.command)) throw new UsageError(`${global.command}: not implemented yet`);
      throw new UsageError(`unknown command "${global.command}" (see ociish --help)`);
    }
    return await command()(ctx, global.rest);
  } catch (e) {
    log.error(knownError(e) ? e.message : (e as Error)?.stack ?? String(e));
    return 1;
  }
}

/**
 * Ends the CLI once its work is done. Everything it printed went out through
 * write(2) (output.ts), so unless something else wants the exit (an 'exit'
 * listener, a profiler or coverage flag), the process ends at once instead of
 * through Node's teardown, which costs ~1.5 ms.
 */
export function exit(code: number): never {
  const plain = process.listenerCount('exit') === 0 && process.execArgv.length === 0 && !process.env['NODE_OPTIONS'] && !process.env['NODE_V8_COVERAGE'];
  if (plain && native.exitNow) native.exitNow(code);
  process.exit(code);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exit, (e) => {
    writeErr(`ociish: ${(e as Error)?.stack ?? e}\n`);
    exit(1);
  });
}
