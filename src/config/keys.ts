/**
 * Configuration keys declared once. A model family or the trainer lists its keys with a default,
 * a kind (whole number, number, yes/no, one of a closed set), a range and one line of doc; from
 * that one table come the defaults, the checks that reject unknown keys and wrong types (as
 * nanoGPT's configurator does, so a typo never silently trains the default), the `slm` flags and
 * their help. Browser-safe: plain data and checks, no I/O.
 */
import { ConfigError } from '../tensor/errors.js';

interface SpecBase<V> {
  /** The value when the key is not given. */
  default: V;
  /** One line: what the key means, and where its default comes from. */
  doc: string;
  /** The CLI flag (default: the key in kebab case, `--embed-dim` for embedDim); false: no flag. */
  flag?: string | false;
  /** Advice printed when a value is refused. */
  hint?: string;
  /** null is allowed (and means "off" or "none", as the doc says). */
  nullable?: boolean;
}

/** A number: `int` must be whole. min/max bound it (max exclusive when `below` is set instead). */
export interface NumberSpec<V = number> extends SpecBase<V> {
  kind: 'int' | 'number';
  min?: number;
  /** Values must be greater than this (for "positive": greaterThan 0). */
  greaterThan?: number;
  max?: number;
  /** Values must be less than this (dropout < 1). */
  below?: number;
  /** A byte count: the CLI reads 512m, 2g. */
  unit?: 'bytes';
}

export interface BoolSpec extends SpecBase<boolean> {
  kind: 'bool';
}

export interface ChoiceSpec<V extends string = string> extends SpecBase<V> {
  kind: 'choice';
  choices: readonly V[];
}

/** The rule for one key whose value type is V. */
export type KeySpec<V> = [V] extends [boolean] ? BoolSpec
  : [V] extends [number | null] ? NumberSpec<V>
    : [V] extends [string] ? ChoiceSpec<V>
      : never;

/** One spec per key of C, except those that are not settable (type, vocabSize). */
export type KeySpecs<C, Fixed extends keyof C = never> = { [K in Exclude<keyof C, Fixed>]-?: KeySpec<C[K]> };

/** Any spec, for code that walks a table without knowing its config type. */
export type AnyKeySpec = NumberSpec<number | null> | BoolSpec | ChoiceSpec;

/** The defaults of a spec table as a plain object. */
export function defaultsOf(specs: Record<string, AnyKeySpec>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default]));
}

/** `--embed-dim` for embedDim, or the spec's own flag; null when the key has no flag. */
export function flagOf(key: string, spec: AnyKeySpec): string | null {
  if (spec.flag === false) return null;
  return spec.flag ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** "a whole number ≥ 1", "a number in [0, 1)", "one of post-ln, pre-ln": what a key accepts, for messages and help. */
export function describeSpec(spec: AnyKeySpec): string {
  switch (spec.kind) {
    case 'bool':
      return 'true or false';
    case 'choice':
      return `one of ${spec.choices.join(', ')}`;
    case 'int':
    case 'number': {
      const what = spec.kind === 'int' ? 'a whole number' : 'a number';
      const lo = spec.greaterThan !== undefined ? `> ${spec.greaterThan}` : spec.min !== undefined ? `≥ ${spec.min}` : '';
      const hi = spec.below !== undefined ? `< ${spec.below}` : spec.max !== undefined ? `≤ ${spec.max}` : '';
      const range = [lo, hi].filter(Boolean).join(' and ');
      return `${what}${range ? ` ${range}` : ''}${spec.nullable ? ' (or null)' : ''}`;
    }
    default:
      return (spec satisfies never as AnyKeySpec).kind;
  }
}

/** Throws a ConfigError unless `value` fits `spec`; `what` names the key in the message ("model key 'heads'"). */
export function checkKey(what: string, spec: AnyKeySpec, value: unknown): void {
  const refuse = () => new ConfigError(`${what} must be ${describeSpec(spec)}, got ${JSON.stringify(value)}`, spec.hint);
  if (value === null) {
    if (!spec.nullable) throw refuse();
    return;
  }
  switch (spec.kind) {
    case 'bool':
      if (typeof value !== 'boolean') throw refuse();
      return;
    case 'choice':
      if (typeof value !== 'string' || !(spec.choices as readonly string[]).includes(value)) throw refuse();
      return;
    case 'int':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse();
      if (spec.kind === 'int' && !Number.isInteger(value)) throw refuse();
      if (spec.min !== undefined && value < spec.min) throw refuse();
      if (spec.greaterThan !== undefined && !(value > spec.greaterThan)) throw refuse();
      if (spec.max !== undefined && value > spec.max) throw refuse();
      if (spec.below !== undefined && !(value < spec.below)) throw refuse();
      return;
    }
    default:
      throw new ConfigError(`unknown key kind ${(spec satisfies never as AnyKeySpec).kind}`);
  }
}

/**
 * Defaults completed by `raw` and checked key by key. Keys in `fixed` are passed through for the
 * caller to check (type, vocabSize); any other key not in `specs` is refused with the known keys
 * listed. Undefined values count as absent.
 */
export function resolveKeys(specs: Record<string, AnyKeySpec>, raw: Record<string, unknown>, o: { what: string; fixed?: readonly string[] }): Record<string, unknown> {
  const fixed = new Set(o.fixed ?? []);
  const out: Record<string, unknown> = defaultsOf(specs);
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    if (fixed.has(k)) {
      out[k] = v;
      continue;
    }
    const spec = specs[k];
    if (!spec) throw new ConfigError(`unknown key '${k}' for ${o.what}`, `known keys: ${[...fixed, ...Object.keys(specs)].join(', ')}`);
    checkKey(`${o.what} key '${k}'`, spec, v);
    out[k] = v;
  }
  return out;
}
