/**
 * Typed errors for the whole library. Every message names the offending value and, where there
 * is one, a hint; only `cli/` turns these into exit codes.
 */

/** Base class: every error slmkit throws on purpose is an SlmError. */
export class SlmError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(hint === undefined ? message : `${message}\n  hint: ${hint}`);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Shapes that do not fit an op; the message names the op and every shape involved. */
export class ShapeError extends SlmError {}

/** A tensor of the wrong element type for an op (for example float ids). */
export class DTypeError extends SlmError {}

/** A bad argument or configuration value: unknown key, wrong type, out of range. */
export class ConfigError extends SlmError {}

/** Autograd misuse: backward on a non-scalar without a gradient, or on a graph already freed. */
export class GradError extends SlmError {}

/** Formats a shape the way PyTorch prints it, for error messages: [2, 3]. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
