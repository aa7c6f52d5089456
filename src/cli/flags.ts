/**
 * CLI flags made from the configuration key tables (config/keys.ts), so each option is declared
 * once: its name, parser, closed set of choices and help all come from the key's spec. Model keys
 * shared by several families (--embed-dim, --dropout) become one flag whose help lists each
 * family's default.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { checkKey, describeSpec, flagOf, type AnyKeySpec } from '../config/keys.js';
import { families } from '../models/registry.js';
import { SlmError } from '../tensor/errors.js';
import { trainKeys } from '../train/config.js';
import { parseBytes } from './common.js';

/** Where a flag's value goes: the config section and key, and commander's attribute name. */
export interface FlagTarget {
  section: 'model' | 'train';
  key: string;
  attr: string;
  flag: string;
  /** A --no-x flag (the key defaults to true): commander reports true unless it is given. */
  negated: boolean;
}

function camel(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function parserFor(flag: string, spec: AnyKeySpec): ((v: string) => unknown) | undefined {
  if (spec.kind === 'bool' || spec.kind === 'choice') return undefined;
  return (v: string) => {
    const n = spec.unit === 'bytes' ? parseBytes(v) : Number(v);
    if (v.trim() === '') throw new InvalidArgumentError(`${flag} must be ${describeSpec(spec)}, got ''`);
    try {
      checkKey(flag, spec, n);
    } catch (e) {
      if (e instanceof SlmError) throw new InvalidArgumentError(`${flag} must be ${describeSpec(spec)}, got '${v}'`);
      throw e;
    }
    return n;
  };
}

function optionFor(flag: string, spec: AnyKeySpec, help: string): Option {
  if (spec.kind === 'bool') {
    if (spec.default !== true) return new Option(flag, help);
    // A --no-x flag turns off what its help describes: say so, rather than "(default true)".
    return new Option(`--no-${flag.slice(2)}`, `turns off: ${help.replace(/ \(default true\)$/, '')} (on by default)`);
  }
  const placeholder = spec.kind === 'int' ? '<n>' : spec.kind === 'choice' ? '<name>' : spec.unit === 'bytes' ? '<bytes>' : '<x>';
  const opt = new Option(`${flag} ${placeholder}`, help);
  if (spec.kind === 'choice') return opt.choices(spec.choices);
  const parse = parserFor(flag, spec);
  return parse ? opt.argParser(parse) : opt;
}

const show = (v: unknown): string => (v === null ? 'none' : String(v));
const showValue = (spec: AnyKeySpec, v: unknown): string => (spec.kind !== 'bool' && spec.kind !== 'choice' && spec.unit === 'bytes' && typeof v === 'number'
  ? (v % 2 ** 30 === 0 ? `${v / 2 ** 30}g` : v % 2 ** 20 === 0 ? `${v / 2 ** 20}m` : String(v)) : show(v));

/** Adds one option per training key; returns where each value goes. */
export function addTrainOptions(cmd: Command): FlagTarget[] {
  const out: FlagTarget[] = [];
  for (const [key, spec] of Object.entries(trainKeys as Record<string, AnyKeySpec>)) {
    const flag = flagOf(key, spec);
    if (!flag) continue;
    const own = families.flatMap((f) => (f.kind === 'neural' && key in f.training ? [`${f.type} ${show((f.training as unknown as Record<string, unknown>)[key])}`] : []));
    cmd.addOption(optionFor(flag, spec, `${spec.doc} (default ${showValue(spec, spec.default)}${own.length ? `; ${own.join(', ')}` : ''})`));
    const negated = spec.kind === 'bool' && spec.default === true;
    out.push({ section: 'train', key, attr: camel(flag), flag: negated ? `--no-${flag.slice(2)}` : flag, negated });
  }
  return out;
}

/** Adds one option per model key of every family (shared keys once); returns where each value goes. */
export function addModelOptions(cmd: Command): FlagTarget[] {
  const byFlag = new Map<string, { key: string; spec: AnyKeySpec; uses: { type: string; doc: string; def: unknown }[] }>();
  for (const f of families) {
    for (const [key, spec] of Object.entries(f.keys as Record<string, AnyKeySpec>)) {
      const flag = flagOf(key, spec);
      if (!flag) continue;
      const seen = byFlag.get(flag);
      if (seen && (seen.key !== key || seen.spec.kind !== spec.kind)) {
        throw new Error(`model flag ${flag} means ${seen.key} (${seen.spec.kind}) in one family and ${key} (${spec.kind}) in ${f.type}`);
      }
      const use = { type: f.type, doc: spec.doc, def: spec.default };
      if (seen) seen.uses.push(use);
      else byFlag.set(flag, { key, spec, uses: [use] });
    }
  }
  const out: FlagTarget[] = [];
  for (const [flag, { key, spec, uses }] of byFlag) {
    const help = uses.length === 1
      ? `${uses[0]!.type}: ${uses[0]!.doc} (default ${show(uses[0]!.def)})`
      : `${uses[0]!.doc.replace(/ \(.*\)$/, '')}; default ${uses.map((u) => `${u.type} ${show(u.def)}`).join(', ')}`;
    // Choices shared by families are the union, and each family checks its own when resolving.
    const union = spec.kind === 'choice'
      ? { ...spec, choices: [...new Set(uses.flatMap((u) => (families.find((f) => f.type === u.type)!.keys as Record<string, AnyKeySpec>)[key]!)
        .flatMap((s) => (s.kind === 'choice' ? s.choices : [])))] }
      : spec;
    cmd.addOption(optionFor(flag, union, help));
    const negated = spec.kind === 'bool' && spec.default === true;
    out.push({ section: 'model', key, attr: camel(flag), flag: negated ? `--no-${flag.slice(2)}` : flag, negated });
  }
  return out;
}
