/**
 * Streaming responses: one JSON event per line (NDJSON) or Server-Sent Events, chosen by the
 * request's Accept header; writes wait for the socket to drain, so a slow reader holds back its
 * own stream and nothing else. `closed` turns true when the client goes away (a closed tab), and
 * the producer stops at its next event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class EventStream {
  readonly sse: boolean;
  private gone = false;

  constructor(req: IncomingMessage, private readonly res: ServerResponse) {
    this.sse = (req.headers.accept ?? '').includes('text/event-stream');
    res.on('close', () => {
      this.gone = true;
    });
    res.writeHead(200, {
      'Content-Type': this.sse ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...(this.sse ? { Connection: 'keep-alive' } : {}),
    });
    res.flushHeaders();
  }

  /** The client went away (or the response ended). */
  get closed(): boolean {
    return this.gone || this.res.writableEnded || this.res.destroyed;
  }

  /** Sends one event ({type, …}); resolves once the socket can take more. */
  async send<E extends { type: string }>(event: E): Promise<void> {
    if (this.closed) return;
    const json = JSON.stringify(event);
    const ok = this.res.write(this.sse ? `event: ${event.type}\ndata: ${json}\n\n` : `${json}\n`);
    if (!ok && !this.closed) await new Promise<void>((r) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        r();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** An SSE comment that keeps proxies and the browser from timing the stream out. */
  ping(): void {
    if (!this.closed && this.sse) this.res.write(': ping\n\n');
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}

/** Lets I/O and other requests run (one turn of the event loop). */
export function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
