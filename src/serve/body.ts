/**
 * Request bodies: read at most `limit` bytes of JSON (413 past it, without reading the rest),
 * parse it (400 naming the parse error), and read its fields by name and type — an unknown field,
 * a wrong type or a value out of range is a 400 that names the field and says what it accepts.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, badRequest } from './errors.js';

/** Reads and parses a JSON body; POSTs must say Content-Type: application/json. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    // Also what keeps other web sites out: a cross-origin JSON POST needs a preflight this server never grants.
    return Promise.reject(new HttpError(415, 'unsupported-media-type', `the body must be JSON (Content-Type: application/json), got ${type ? `'${type}'` : 'none'}`,
      "send the request with the header Content-Type: application/json"));
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('error', (e) => {
      if (!failed) reject(badRequest(`the request body could not be read: ${e.message}`));
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(new HttpError(400, 'bad-json', 'the request body is empty', 'send a JSON object, e.g. {"run": "ID", "text": "..."}'));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new HttpError(400, 'bad-json', `the request body is not valid JSON: ${(e as Error).message}`, 'send a JSON object, e.g. {"run": "ID", "text": "..."}'));
      }
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'too-large', `the request body is larger than ${limit.toLocaleString('en-US')} bytes`, 'send a shorter text');
}

interface NumRange {
  min?: number;
  max?: number;
  /** Strictly greater than. */
  above?: number;
}

/** Typed reads of a JSON object's fields; done() refuses fields nobody read. */
export class Fields {
  private readonly obj: Record<string, unknown>;
  private readonly read = new Set<string>();

  constructor(value: unknown, private readonly what = 'the request') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${what} must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
    this.obj = value as Record<string, unknown>;
  }

  private get(key: string): unknown {
    this.read.add(key);
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  str(key: string, o: { maxLength?: number } = {}): string {
    const v = this.optStr(key, o);
    if (v === undefined) throw badRequest(`${this.what} lacks '${key}'`, `add "${key}": "…"`);
    return v;
  }

  optStr(key: string, o: { maxLength?: number } = {}): string | undefined {
    const v = this.get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badRequest(`'${key}' must be a string, got ${JSON.stringify(v)}`);
    if (o.maxLength !== undefined && v.length > o.maxLength) {
      throw new HttpError(413, 'too-large', `'${key}' is ${v.length.toLocaleString('en-US')} characters, more than the ${o.maxLength.toLocaleString('en-US')} allowed`, 'send a shorter text');
    }
    return v;
  }

  optNum(key: string, r: NumRange = {}): number | undefined {
    const v = this.get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`'${key}' must be a number, got ${JSON.stringify(v)}`);
    checkRange(key, v, r);
    return v;
  }

  optInt(key: string, r: NumRange = {}): number | undefined {
    const v = this.optNum(key, r);
    if (v !== undefined && !Number.isInteger(v)) throw badRequest(`'${key}' must be a whole number, got ${v}`);
    return v;
  }

  optBool(key: string): boolean | undefined {
    const v = this.get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw badRequest(`'${key}' must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  optObject(key: string): Record<string, unknown> | undefined {
    const v = this.get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`'${key}' must be a JSON object, got ${JSON.stringify(v)}`);
    return v as Record<string, unknown>;
  }

  /** Throws on fields that no read asked for (a typo should not be silently ignored). */
  done(): void {
    const unknown = Object.keys(this.obj).filter((k) => !this.read.has(k));
    if (unknown.length > 0) throw badRequest(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`, `known: ${[...this.read].join(', ')}`);
  }
}

function checkRange(key: string, v: number, r: NumRange): void {
  if (r.min !== undefined && v < r.min) throw badRequest(`'${key}' must be at least ${r.min}, got ${v}`);
  if (r.max !== undefined && v > r.max) throw badRequest(`'${key}' must be at most ${r.max}, got ${v}`);
  if (r.above !== undefined && !(v > r.above)) throw badRequest(`'${key}' must be greater than ${r.above}, got ${v}`);
}
