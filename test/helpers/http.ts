/**
 * HTTP helpers for the `slm serve` tests: JSON requests through fetch, NDJSON and SSE bodies split
 * into events, and raw requests over a socket for paths a client library would normalise first
 * (`/../../etc/passwd` must reach the server as typed).
 */
import { connect } from 'node:net';

export interface JsonReply<T> {
  status: number;
  body: T;
  headers: Headers;
}

export async function getJson<T>(base: string, path: string): Promise<JsonReply<T>> {
  const r = await fetch(new URL(path, base));
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
}

export async function postJson<T>(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply<T>> {
  const r = await fetch(new URL(path, base), {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: r.status, body: parsed as T, headers: r.headers };
}

/** The events of an NDJSON body. */
export function ndjson<T>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

/** The events of an SSE body: {event, data}. */
export function sse<T>(text: string): { event: string; data: T }[] {
  return text.split('\n\n').filter((b) => b.includes('data:')).map((b) => {
    const event = /^event: (.*)$/m.exec(b)?.[1] ?? 'message';
    const data = JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as T;
    return { event, data };
  });
}

/** Sends a request line exactly as given (no normalisation) and returns the status and body. */
export function rawRequest(port: number, requestLine: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (c) => { data += c.toString('utf8'); });
    sock.on('error', reject);
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    const h = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
    sock.write(`${requestLine}\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  });
}
