/**
 * Node only: loads the C++ addon when imported and makes it the active backend, as the Node entry
 * points want (`slmkit` under the `node` export condition, `slmkit/node`, the `slm` command).
 * SLM_BACKEND=reference keeps the pure-TypeScript kernels; SLM_BACKEND=native without a usable
 * addon is an error at first use. When the addon cannot be loaded, a one-line warning is printed
 * the first time kernels are used, not at import, so importing prints nothing. With the addon,
 * large tensor buffers come from huge-page mappings (tensor/alloc.ts; SLM_HUGE_PAGES=0 turns it off).
 */
import { registerBackend, setBackendNotice, setNativeInfo, useBackend } from '../index.js';
import { setLargeAllocator } from '../../tensor/alloc.js';
import { ConfigError } from '../../tensor/errors.js';
import { loadNativeAddon } from './addon.js';

function autoload(): void {
  const wanted = process.env.SLM_BACKEND;
  if (wanted !== undefined && wanted !== '' && wanted !== 'reference' && wanted !== 'native') {
    throw new ConfigError(`SLM_BACKEND='${wanted}' is not a backend`, 'use SLM_BACKEND=native or SLM_BACKEND=reference');
  }
  const res = loadNativeAddon();
  if (res.ok) {
    setNativeInfo(res.info);
    registerBackend(res.kernels);
    if (wanted !== 'reference') useBackend('native');
    const alloc = res.machine?.allocLarge;
    if (alloc && process.env.SLM_HUGE_PAGES !== '0') setLargeAllocator((n) => new Float32Array(alloc(n * 4)));
    return;
  }
  if (wanted === 'native') {
    throw new ConfigError(`SLM_BACKEND=native but the native addon is not available: ${res.reason}`,
      'build it with `npm run build:native` (or `npm install`), or unset SLM_BACKEND');
  }
  if (wanted !== 'reference') {
    setBackendNotice(() => process.stderr.write(`slmkit: native addon not available (${res.reason}); using the reference backend\n`));
  }
}

autoload();
