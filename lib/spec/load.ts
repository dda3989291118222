// Reading and validating config.json (and exec's process file): the one
// entry point every verb and the programmatic API go through.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, isSystemError } from '../errors';
import { Process, Spec, checkSpec, processSchema, refuseUnsupported, refuseUnsupportedProcess, specSchema } from './config';

/** Validates an in-memory config (already parsed JSON): shape, cross-field rules, then unsupported fields. */
export function parseConfig(value: unknown): Spec {
  const spec = specSchema.parse(value, '');
  checkSpec(spec);
  refuseUnsupported(spec);
  return spec;
}

/** Validates a bare process object (exec --process); pointers are relative to it. */
export function parseProcess(value: unknown): Process {
  const process = processSchema.parse(value, '');
  refuseUnsupportedProcess(process);
  return process;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    // Node's message ends with ", open '<path>'"; the path is already in ours.
    const detail = isSystemError(e) ? e.message.replace(/, \w+ '.*'$/s, '') : String(e);
    throw new ConfigError('', `cannot read ${path}: ${detail}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError('', `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads, validates and returns `<bundleDir>/config.json`. */
export function loadBundleConfig(bundleDir: string): Spec {
  return parseConfig(readJson(join(bundleDir, 'config.json')));
}

/** Reads and validates a process file as given to `exec --process`. */
export function loadProcessFile(path: string): Process {
  return parseProcess(readJson(path));
}
