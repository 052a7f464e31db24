// The Docker image is an application of this package: its worker owns @temporalio/*, which package.json declares as
// peer dependencies (what an embedding app provides) and pins for this repository in devDependencies. npm installs
// neither for `npm ci --omit=dev`, so the image's deps stage rewrites its copy of package.json: the required peers
// become production dependencies at their pinned versions. `npm install --package-lock-only` then recomputes the
// lock's flags; every version stays the one the committed lock resolved.
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const optional = pkg.peerDependenciesMeta ?? {};
for (const name of Object.keys(pkg.peerDependencies ?? {})) {
  const pinned = pkg.devDependencies?.[name];
  if (!pinned) throw new Error(`peer dependency ${name} has no pinned version in devDependencies`);
  if (!optional[name]?.optional) pkg.dependencies[name] = pinned;
  delete pkg.devDependencies[name];
}
delete pkg.peerDependencies;
delete pkg.peerDependenciesMeta;
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
