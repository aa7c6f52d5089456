/**
 * Module: the base of every layer and model, like torch.nn.Module. It owns named parameters,
 * child modules and random generators, switches train/eval mode, counts parameters, saves and
 * loads a state dict, and prints a summary in PyTorch's repr style. A module that draws random
 * numbers while training (dropout) registers its generator, so a checkpoint saves every
 * generator's state and a resumed run draws exactly what an uninterrupted one would.
 */
import { ConfigError, formatShape, ShapeError } from '../tensor/errors.js';
import type { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

export abstract class Module {
  /** The class name as summaries print it (written out: minifiers rename classes). */
  abstract readonly typeName: string;
  /** Training mode (dropout active) or evaluation mode. */
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly ownRngs = new Map<string, Rng>();

  /** Registers a trainable tensor under `name` (sets requiresGrad) and returns it. */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad_(true);
    t.name = name;
    this.ownParams.set(name, t);
    return t;
  }

  /** Registers a child module under `name` and returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Registers a generator this module draws from while training, under `name`; returns it. */
  protected randomSource(name: string, rng: Rng): Rng {
    this.ownRngs.set(name, rng);
    return rng;
  }

  /**
   * Every registered generator with a dotted name, depth first (like namedParameters): the
   * random state a checkpoint must save for a bit-identical resume.
   */
  namedRngs(prefix = ''): [string, Rng][] {
    const out: [string, Rng][] = [];
    for (const [n, r] of this.ownRngs) out.push([prefix + n, r]);
    for (const [n, m] of this.children) out.push(...m.namedRngs(`${prefix}${n}.`));
    return out;
  }

  /** Extra text shown inside this module's parentheses in the summary, e.g. "128, 256". */
  protected describe(): string {
    return '';
  }

  /** Parameters with dotted names, depth first, in registration order (like named_parameters). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.ownParams) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Child modules with their names. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    let n = 0;
    for (const t of this.parameters()) n += t.size;
    return n;
  }

  /** Sets training mode on this module and every child; returns this. */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  /** Evaluation mode (dropout off); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (keeping buffers for reuse). */
  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }

  /** Name → tensor for every parameter; the tensors share memory with the module. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values from `state` into the parameters. With `strict` (default), missing or unexpected
   * keys are an error; shapes must always match.
   */
  loadStateDict(state: Record<string, Tensor>, strict = true): void {
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new ConfigError(
        `loadStateDict: ${missing.length ? `missing keys ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected keys ${unexpected.join(', ')}` : ''}`,
        'the checkpoint was saved from a model with a different configuration');
    }
    for (const [name, t] of own) {
      const src = state[name];
      if (!src) continue;
      if (src.size !== t.size || src.ndim !== t.ndim || src.shape.some((d, i) => d !== t.shape[i])) {
        throw new ShapeError(`loadStateDict: '${name}' has shape ${formatShape(src.shape)} in the state but ${formatShape(t.shape)} in the model`,
          'the checkpoint was saved from a model with a different configuration (vocabulary size, width)');
      }
      if (src.data !== t.data) (t.data as Float32Array).set(src.f32(name)); // already there when loaded in place
    }
  }

  /** A readable summary in PyTorch's repr style, with the parameter count. */
  summary(): string {
    return `${this.toString()}\nparameters: ${this.numParameters().toLocaleString('en-US')}`;
  }

  toString(): string {
    const head = `${this.typeName}(${this.describe()}`;
    if (this.children.size === 0) return `${head})`;
    const lines = [...this.children].map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
