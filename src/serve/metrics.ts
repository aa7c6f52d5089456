/**
 * A run's metrics.jsonl as a live stream: everything written so far, then each new complete line
 * as `slm train` appends it (in this server or another terminal). The file is polled (a stat
 * every half second per open stream, no watcher to leak); when it shrinks or is replaced — a
 * resumed run drops the lines after its checkpoint — the stream starts over with `reset: true`.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { MetricsEvent } from './api.js';

/** Reads new complete lines of a growing text file. */
export class LineFollower {
  private offset = 0;
  private ino = -1;
  private tail = '';
  private path = '';

  /** locate() gives the file's checked path, or null while it is absent (or outside the server's roots). */
  constructor(private readonly locate: () => string | null) {}

  /** New complete lines since the last call; reset when the file was replaced or shortened. */
  poll(): { lines: string[]; reset: boolean } {
    let size: number;
    let ino: number;
    const path = this.locate();
    if (path === null) return { lines: [], reset: false }; // not written yet
    this.path = path;
    try {
      const s = statSync(path);
      size = s.size;
      ino = s.ino;
    } catch {
      return { lines: [], reset: false }; // not written yet
    }
    let reset = false;
    if (ino !== this.ino || size < this.offset) {
      reset = this.ino !== -1;
      this.ino = ino;
      this.offset = 0;
      this.tail = '';
    }
    if (size === this.offset) return { lines: [], reset };
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      this.offset += got;
      const text = this.tail + buf.subarray(0, got).toString('utf8');
      const parts = text.split('\n');
      this.tail = parts.pop()!;
      return { lines: parts.filter((l) => l.trim() !== ''), reset };
    } finally {
      closeSync(fd);
    }
  }
}

/** Polls `path` and hands each batch of new lines to `send` until stop() is called. */
export function followMetrics(run: string, locate: () => string | null, send: (e: MetricsEvent) => void, everyMs = 500): { stop(): void } {
  const f = new LineFollower(locate);
  const tick = () => {
    const { lines, reset } = f.poll();
    if (lines.length > 0 || reset) send({ run, lines, reset });
  };
  send({ run, lines: f.poll().lines, reset: true }); // the first event carries everything so far
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
