// A tiny validation combinator library: each schema checks a JSON value at
// run time and carries the TypeScript type it produces (`Infer<S>`), so the
// types and the checks of config.json come from one source.
//
// Building schemas only creates a few closures (no code generation, no
// compile step), so importing this costs next to nothing on every CLI start.
// Errors are ConfigError with the RFC 6901 pointer of the first bad value.

import { ConfigError } from '../errors';

/** Validates a value found at `ptr` and returns it typed, or throws ConfigError. */
export interface Schema<T> {
  parse(value: unknown, ptr: string): T;
}

/** Marks an object property as optional: absent or null leaves it out of the result. */
export interface Optional<T> {
  readonly optional: Schema<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : S extends Optional<infer T> ? T : never;

type Shape = { readonly [key: string]: Schema<unknown> | Optional<unknown> };

// Flattens an intersection so editors show one plain object type.
type Flat<T> = { [K in keyof T]: T[K] } & {};

export type InferShape<S extends Shape> = Flat<
  { -readonly [K in keyof S as S[K] extends Optional<unknown> ? never : K]: Infer<S[K]> } & {
    -readonly [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: Infer<S[K]>;
  }
>;

/** An object schema keeps its shape so callers can reuse or extend it. */
export interface ObjSchema<S extends Shape> extends Schema<InferShape<S>> {
  readonly shape: S;
}

/** Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function escapeToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The pointer of `token` below `ptr`. */
export function at(ptr: string, token: string | number): string {
  return `${ptr}/${escapeToken(token)}`;
}

export function fail(ptr: string, reason: string): never {
  throw new ConfigError(ptr, reason);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function schema<T>(parse: (value: unknown, ptr: string) => T): Schema<T> {
  return { parse };
}

export const str: Schema<string> = schema((v, ptr) => (typeof v === 'string' ? v : fail(ptr, 'must be a string')));

export const bool: Schema<boolean> = schema((v, ptr) => (typeof v === 'boolean' ? v : fail(ptr, 'must be true or false')));

/** Any JSON object, contents unchecked (kept as given): for parts that are refused or checked elsewhere. */
export const anyObject: Schema<Record<string, unknown>> = schema((v, ptr) => (isObject(v) ? v : fail(ptr, 'must be an object')));

function rangeReason(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `must be an integer between ${min} and ${max}`;
  if (min !== undefined) return `must be an integer >= ${min}`;
  if (max !== undefined) return `must be an integer <= ${max}`;
  return 'must be an integer';
}

/**
 * An integer, optionally bounded. Only safe integers are accepted: JSON.parse
 * rounds larger ones, so their value would not be the one written.
 */
export function int(bounds: { min?: number; max?: number } = {}): Schema<number> {
  const { min, max } = bounds;
  const reason = rangeReason(min, max);
  return schema((v, ptr) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return fail(ptr, reason);
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) return fail(ptr, reason);
    if (!Number.isSafeInteger(v)) return fail(ptr, 'is too large to be exact (the limit is 2^53-1)');
    return v;
  });
}

export const int32 = int({ min: -0x80000000, max: 0x7fffffff });
export const uint16 = int({ min: 0, max: 0xffff });
export const uint32 = int({ min: 0, max: 0xffffffff });
/** int64 as a number: only safe integers (|v| <= 2^53-1) are accepted. */
export const int64 = int();

/**
 * 18446744073709551615 (2^64-1, e.g. RLIM_INFINITY) as JSON.parse reads it:
 * the double 2^64. Writers use it to mean "unlimited".
 */
export const UINT64_MAX = 2 ** 64;

/** uint64 as a number: a safe integer >= 0, or UINT64_MAX (see above). */
export const uint64: Schema<number> = schema((v, ptr) => {
  if (v === UINT64_MAX) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(ptr, 'must be an integer >= 0');
  if (!Number.isSafeInteger(v)) return fail(ptr, 'is too large to be exact (the limit is 2^53-1, or 18446744073709551615)');
  return v;
});

/** One of the given strings. */
export function oneOf<const L extends readonly string[]>(...values: L): Schema<L[number]> {
  const allowed = new Set<string>(values);
  const reason = values.length === 1 ? `must be ${JSON.stringify(values[0])}` : `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return schema((v, ptr) => (typeof v === 'string' && allowed.has(v) ? (v as L[number]) : fail(ptr, reason)));
}

/** Exactly this string. */
export function literal<const L extends string>(value: L): Schema<L> {
  return oneOf(value);
}

export function optional<T>(s: Schema<T>): Optional<T> {
  return { optional: s };
}

/** An array of `item`; `minItems` for arrays that must not be empty. */
export function arr<T>(item: Schema<T>, opts: { minItems?: number } = {}): Schema<T[]> {
  const minItems = opts.minItems ?? 0;
  return schema((v, ptr) => {
    if (!Array.isArray(v)) return fail(ptr, 'must be an array');
    if (v.length < minItems) fail(ptr, minItems === 1 ? 'must have at least one entry' : `must have at least ${minItems} entries`);
    return v.map((x, i) => item.parse(x, at(ptr, i)));
  });
}

/**
 * An object with the given properties, checked in the shape's order. Unknown
 * properties are ignored and left out of the result (the spec says so), so
 * the result has exactly the declared type.
 */
export function obj<const S extends Shape>(shape: S): ObjSchema<S> {
  const keys = Object.keys(shape);
  return {
    shape,
    parse(v, ptr) {
      if (!isObject(v)) return fail(ptr, 'must be an object');
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const s = shape[key] as Schema<unknown> | Optional<unknown>;
        // Own properties only: a key like "toString" must not come from the prototype.
        const raw = Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
        if ('optional' in s) {
          if (raw !== undefined && raw !== null) out[key] = s.optional.parse(raw, at(ptr, key));
        } else {
          if (raw === undefined) fail(at(ptr, key), 'is required');
          out[key] = s.parse(raw, at(ptr, key));
        }
      }
      return out as InferShape<S>;
    },
  };
}

/** A string-keyed map whose values all match `value`. */
export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return schema((v, ptr) => {
    if (!isObject(v)) return fail(ptr, 'must be an object');
    const out: Record<string, T> = {};
    for (const key of Object.keys(v)) {
      // defineProperty, not assignment: a "__proto__" key must stay a plain key.
      Object.defineProperty(out, key, { value: value.parse(v[key], at(ptr, key)), enumerable: true, writable: true, configurable: true });
    }
    return out;
  });
}

/** Adds a check after `s` succeeds; `check` throws (via `fail`) with the pointer it chooses. */
export function refine<T>(s: Schema<T>, check: (value: T, ptr: string) => void): Schema<T> {
  return schema((v, ptr) => {
    const out = s.parse(v, ptr);
    check(out, ptr);
    return out;
  });
}

/** Converts the value after `s` succeeds (e.g. normalizing a deprecated form). */
export function map<T, U>(s: Schema<T>, convert: (value: T, ptr: string) => U): Schema<U> {
  return schema((v, ptr) => convert(s.parse(v, ptr), ptr));
}

/** A string that the kernel can take: no NUL byte, which would silently cut it short. */
export const cstr: Schema<string> = refine(str, (v, ptr) => {
  if (v.includes('\0')) fail(ptr, 'must not contain a NUL byte');
});

export const nonEmptyStr: Schema<string> = refine(cstr, (v, ptr) => {
  if (v === '') fail(ptr, 'must not be empty');
});

export const absPath: Schema<string> = refine(cstr, (v, ptr) => {
  if (!v.startsWith('/')) fail(ptr, 'must be an absolute path');
});
