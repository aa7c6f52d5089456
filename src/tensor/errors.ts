/**
 * Every typed error slmkit throws, in one module. Each carries a stable `code` (for programs and
 * the JSON API: match on it, never on the wording), a `message` that names the offending value, and
 * a separate `hint` saying what to do. Only `cli/` turns them into exit codes; it prints the message
 * and the hint on two lines. Class names are written out (`name`), not read from the constructor,
 * so they survive a minifier.
 */

/** The stable codes, one per error class. */
export type ErrorCode = 'config' | 'shape' | 'dtype' | 'grad' | 'data' | 'checkpoint' | 'training' | 'ngram-format';

/** Base class: every error slmkit throws on purpose is an SlmError. */
export class SlmError extends Error {
  override name = 'SlmError';
  readonly code: ErrorCode | 'slm' = 'slm';
  /** What to do about it, or undefined when there is nothing useful to say. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }

  /** The message with its hint on a second line, as the CLI prints it. */
  describe(): string {
    return this.hint === undefined ? this.message : `${this.message}\n  hint: ${this.hint}`;
  }

  /** `Name: message` and the hint, so a printed or logged error keeps its advice. */
  override toString(): string {
    return `${this.name}: ${this.describe()}`;
  }

  /** A plain object for JSON output: {code, name, message, hint}. */
  toJSON(): { code: string; name: string; message: string; hint?: string } {
    return { code: this.code, name: this.name, message: this.message, ...(this.hint === undefined ? {} : { hint: this.hint }) };
  }
}

/** Shapes that do not fit an op; the message names the op and every shape involved. */
export class ShapeError extends SlmError {
  override name = 'ShapeError';
  override readonly code = 'shape';
}

/** A tensor of the wrong element type for an op (for example float ids). */
export class DTypeError extends SlmError {
  override name = 'DTypeError';
  override readonly code = 'dtype';
}

/** A bad argument or configuration value: unknown key, wrong type, out of range. */
export class ConfigError extends SlmError {
  override name = 'ConfigError';
  override readonly code = 'config';
}

/** Autograd misuse: backward on a non-scalar without a gradient, or on a graph already freed. */
export class GradError extends SlmError {
  override name = 'GradError';
  override readonly code = 'grad';
}

/** Input data that cannot be read as asked: missing, empty, malformed or not UTF-8; names the file and place. */
export class DataError extends SlmError {
  override name = 'DataError';
  override readonly code = 'data';
}

/** A checkpoint, run folder or tensor file that cannot be read or does not fit; names the file. */
export class CheckpointError extends SlmError {
  override name = 'CheckpointError';
  override readonly code = 'checkpoint';
}

/** Training stopped because the numbers went bad (NaN or infinite loss or gradient). */
export class TrainingError extends SlmError {
  override name = 'TrainingError';
  override readonly code = 'training';
}

/** An n-gram model file that cannot be read: wrong magic or version, truncated, damaged. */
export class NgramFormatError extends SlmError {
  override name = 'NgramFormatError';
  override readonly code = 'ngram-format';
}

/** The message of any thrown value, with its hint when it is an SlmError (for errors that wrap others). */
export function errorText(err: unknown): string {
  if (err instanceof SlmError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

/** Formats a shape the way PyTorch prints it, for error messages: [2, 3]. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
