// After tsc: the `slm` command's file must be executable, or `npx slm` in a fresh clone fails
// with "Permission denied" (tsc writes files without the execute bit; npm sets it only when it
// links an installed package, not for the project's own bin).
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
