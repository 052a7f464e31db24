#!/usr/bin/env node
// The `airops` command (package.json "bin"). In a checkout it runs the TypeScript sources through tsx (a dev
// dependency); in an install without dev dependencies it runs the compiled CLI from dist/ (`npm run build`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let tsx = null;
try {
  // Both hooks, as the `tsx` command installs them: the CLI loads some commands lazily with import(), which the
  // CommonJS hook alone does not cover (`airops run` and `airops demo` failed with "Cannot find module").
  tsx = { cjs: require('tsx/cjs/api'), esm: await import('tsx/esm/api') };
} catch {
  tsx = null;
}
if (tsx !== null && existsSync(join(root, 'client', 'cli', 'main.ts'))) {
  tsx.cjs.register();
  tsx.esm.register();
  require(join(root, 'client', 'cli', 'main.ts')).main();
} else {
  const built = join(root, 'dist', 'client', 'cli', 'main.js');
  if (!existsSync(built)) {
    process.stderr.write('airops: neither tsx nor dist/ is available: run `npm install` or `npm run build`\n');
    process.exit(6);
  }
  require(built).main();
}
