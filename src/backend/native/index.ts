/**
 * The native backend: the C++ kernels of native/, under the same names as backend/reference.
 * Node only. backend/index.ts loads it at import time when the addon is built; this module is
 * for code that wants to load or inspect it explicitly.
 */
import { registerBackend } from '../index.js';
import { loadNativeAddon, type NativeInfo, type NativeLoad } from './addon.js';

export { loadNativeAddon, type NativeInfo, type NativeLoad };

/**
 * Loads the addon and registers it as the 'native' backend (without making it active).
 * Returns false when the addon file is missing or fails to load.
 */
export function loadNativeBackend(path?: string): boolean {
  const res = loadNativeAddon(path);
  if (!res.ok) return false;
  registerBackend(res.kernels);
  return true;
}
