/**
 * `slmkit` as Node resolves it (the `node` export condition): the browser-safe core of index.ts
 * with the native C++ kernels loaded and active when the addon is built. Bundlers for the
 * browser resolve `slmkit` to index.ts itself, which never touches the addon.
 */
import './backend/native/autoload.js';

export * from './index.js';
export { nativeInfo, type BackendInfo } from './backend/index.js';
