#!/usr/bin/env node
// The `airops` command (package.json "bin"). In a checkout it runs the TypeScript sources through tsx (a dev
// dependency); in an install without dev dependencies it runs the compiled CLI from dist/ (`npm run build`).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

let tsx = null;
try {
  tsx = require('tsx/cjs/api');
} catch {
  tsx = null;
}
if (tsx !== null && existsSync(join(__dirname, '..', 'client', 'cli', 'main.ts'))) {
  tsx.register();
  require('../client/cli/main.ts').main();
} else {
  const built = join(__dirname, '..', 'dist', 'client', 'cli', 'main.js');
  if (!existsSync(built)) {
    process.stderr.write('airops: neither tsx nor dist/ is available: run `npm install` or `npm run build`\n');
    process.exit(6);
  }
  require(built).main();
}
