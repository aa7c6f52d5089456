/**
 * Prompt release of large typed arrays. Each training step leaves hundreds of MB of activation
 * buffers to the garbage collector; V8 counts them as external memory and may let several GB pile
 * up before it collects (5.3 GB peak RSS for the low-rank model at batch 128, whose step needs
 * under 1 GB). After a step that grew array-buffer memory past a margin, the trainer asks for a
 * collection (V8's gc, exposed at run time); it costs milliseconds against steps of seconds.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = () => void;

let gcFn: Gc | null | undefined;

function getGc(): Gc | null {
  if (gcFn !== undefined) return gcFn;
  const g = (globalThis as { gc?: Gc }).gc;
  if (g) return (gcFn = g);
  try {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as Gc;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** Returns a function to call after each step; it collects when array buffers grew by `margin`. */
export function memoryKeeper(margin = 256 * 2 ** 20): () => void {
  const gc = getGc();
  let floor = process.memoryUsage().arrayBuffers;
  return () => {
    if (!gc) return;
    const now = process.memoryUsage().arrayBuffers;
    if (now - floor < margin) return;
    gc();
    floor = process.memoryUsage().arrayBuffers;
  };
}
