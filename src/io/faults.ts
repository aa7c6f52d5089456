/**
 * Fault injection for the crash, full-disk and lock tests: named points in the write paths (the
 * middle of a file's bytes, just before its rename, between the renames of a checkpoint's commit)
 * where a test can make this process die by SIGKILL or fail as a full disk would, deterministically,
 * instead of hoping a random kill lands there. Off unless the SLM_FAULT environment variable is
 * set; then it holds rules `ACTION:POINT[@N]` separated by commas — ACTION `kill`, `enospc` or
 * `pause` (sleep SLM_FAULT_PAUSE_MS, default 5000, holding whatever the process holds: a lock),
 * POINT a point name or a prefix of one ending in `*`, N the hit that fires (default 1) — for
 * example `kill:write:model.safetensors.next@3` or `enospc:write:*`.
 */

interface Rule { action: 'kill' | 'enospc' | 'pause'; point: string; prefix: boolean; at: number; hits: number }

let rules: Rule[] | null = null;

function parseRules(spec: string): Rule[] {
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(kill|enospc|pause):(.+?)(?:@(\d+))?$/.exec(s);
    if (!m) throw new Error(`SLM_FAULT rule '${s}' is not ACTION:POINT[@N] with ACTION kill, enospc or pause`);
    const point = m[2]!;
    return { action: m[1] as Rule['action'], point: point.replace(/\*$/, ''), prefix: point.endsWith('*'), at: Number(m[3] ?? 1), hits: 0 };
  });
}

/** Marks a point in a write path; under SLM_FAULT a matching rule kills the process or throws ENOSPC there. */
export function faultPoint(point: string): void {
  const spec = process.env.SLM_FAULT;
  if (!spec) return;
  rules ??= parseRules(spec);
  for (const r of rules) {
    if (!(r.prefix ? point.startsWith(r.point) : point === r.point)) continue;
    r.hits++;
    if (r.hits !== r.at) continue;
    if (r.action === 'pause') {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.SLM_FAULT_PAUSE_MS ?? 5000));
      continue;
    }
    if (r.action === 'kill') {
      process.kill(process.pid, 'SIGKILL');
      // The signal is delivered before kill() returns on Linux; never run on past the point.
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
    const err = new Error(`ENOSPC: no space left on device (injected at ${point})`) as NodeJS.ErrnoException;
    err.code = 'ENOSPC';
    throw err;
  }
}
