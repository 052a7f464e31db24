// The workflow bundle the worker runs: the pure modules listed in SHARED_WORKFLOW_MODULES are preloaded once into
// the reusable V8 context and shared (deep-frozen) by every cached workflow, so they must keep no state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SHARED_WORKFLOW_MODULES } from '../../worker/worker';
import { workflowBundle } from '../../kit/helpers/temporal';
import { WORKFLOWS_PATH } from '../../worker/worker';

describe('workflow bundle', () => {
  it('preloads every shared module, and no workflow module', async () => {
    const { code } = await workflowBundle(WORKFLOWS_PATH);
    const start = code.indexOf('exports.preloadModules = function preloadModules()');
    assert.ok(start > 0, 'the bundle has a preloadModules entry point');
    const body = code.slice(start, code.indexOf('}', start));
    for (const m of SHARED_WORKFLOW_MODULES) {
      const name = basename(m).replace(/\.ts$/, '');
      assert.match(body, new RegExp(`/${name}\\.ts"`), `${name} is preloaded`);
    }
    assert.doesNotMatch(
      body,
      /track-airops-batch|run-airops-batch|workflows\/index/,
      'workflow modules stay per-workflow',
    );
  });

  it('shared modules keep no module-level state (no top-level let/var; top-level collections only read)', () => {
    for (const m of SHARED_WORKFLOW_MODULES) {
      const src = readFileSync(m, 'utf8');
      const topLevel = src.split('\n').filter((line) => /^(export )?(let|var) /.test(line));
      assert.deepEqual(topLevel, [], `${basename(m)}: module-level variables`);
      // Object.freeze does not freeze a Map's or Set's entries: a shared lookup table must never be written.
      const collections = [...src.matchAll(/^(?:export )?const (\w+)[^=\n]*= new (?:Map|Set|WeakMap|WeakSet)\b/gm)];
      for (const [, name] of collections) {
        assert.doesNotMatch(
          src,
          new RegExp(`\\b${name}\\.(add|set|delete|clear)\\(`),
          `${basename(m)}: ${name} is written`,
        );
      }
    }
  });
});
