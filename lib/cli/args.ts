// Command-line parsing in runc's shape: global flags, a command, its flags.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface ParsedCommand<O extends OptionSpec> {
  values: { [K in keyof O]?: O[K]['type'] extends 'string' ? (O[K]['multiple'] extends true ? string[] : string) : boolean };
  positionals: string[];
}

export function parseCommand<O extends OptionSpec>(command: string, args: string[], options: O): ParsedCommand<O> {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as ParsedCommand<O>['values'], positionals };
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
}

/** Global flags that take a value; everything before the command is a global flag. */
const GLOBAL_WITH_VALUE = new Set(['--root', '--log', '--log-format']);

export interface GlobalArgs {
  root?: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  help: boolean;
  version: boolean;
  command?: string;
  rest: string[];
}

export function parseGlobal(argv: string[]): GlobalArgs {
  const out: GlobalArgs = { logFormat: 'text', debug: false, systemdCgroup: false, help: false, version: false, rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    // runc (urfave/cli) takes -root as --root; -h and -v are the short forms.
    const raw = eq >= 0 ? arg.slice(0, eq) : arg;
    const name = raw === '-h' || raw === '-v' ? raw : raw.replace(/^-([^-])/, '--$1');
    let value: string | undefined;
    if (GLOBAL_WITH_VALUE.has(name)) {
      value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${name}`);
    }
    switch (name) {
      case '--root': out.root = value; break;
      case '--log': out.log = value; break;
      case '--log-format':
        if (value !== 'text' && value !== 'json') throw new UsageError(`--log-format must be text or json, not "${value}"`);
        out.logFormat = value;
        break;
      case '--debug': out.debug = true; break;
      case '--systemd-cgroup': out.systemdCgroup = true; break;
      case '--help': case '-h': out.help = true; break;
      case '--version': case '-v': out.version = true; break;
      default: throw new UsageError(`unknown global flag: ${arg}`);
    }
  }
  out.command = argv[i];
  out.rest = argv.slice(i + 1);
  return out;
}

/**
 * A command's flags (each gets -h/--help) and its positional arguments,
 * between `min` and `max` of them; null once the help has been printed.
 */
export function parseVerb<O extends OptionSpec>(
  out: (text: string) => void,
  command: string,
  help: string,
  args: string[],
  options: O,
  count: { min: number; max: number; what: string },
): ParsedCommand<O> | null {
  const parsed = parseCommand(command, args, { ...options, help: { type: 'boolean', short: 'h' } });
  if ((parsed.values as { help?: boolean }).help) {
    out(help);
    return null;
  }
  const n = parsed.positionals.length;
  if (n < count.min || n > count.max) throw new UsageError(`${command}: expects ${count.what} (see ociish ${command} --help)`);
  return parsed;
}

/** A --preserve-fds style count. */
export function wholeNumber(command: string, flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${command}: ${flag} must be a whole number`);
  return n;
}
