/**
 * Runs a block of tests once per available backend (ggml's test-backend-ops idea): the reference
 * backend always, a native one when its addon has registered itself. The previous backend is
 * restored after each block, so files do not leak their choice into one another.
 */
import { after, before, describe } from 'node:test';
import { availableBackends, useBackend } from '../../src/backend/index.js';
import '../../src/backend/native/autoload.js';

export function describeEachBackend(title: string, body: (backend: string) => void): void {
  for (const name of availableBackends()) {
    describe(`${title} [${name}]`, () => {
      let prev = 'reference';
      before(() => {
        prev = useBackend(name);
      });
      after(() => {
        useBackend(prev);
      });
      body(name);
    });
  }
}
