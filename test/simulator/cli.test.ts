// The CLI: --help documents every flag, bad flags exit 2, and a started server prints its URL, serves the API
// with the given key and shuts down cleanly on SIGTERM/SIGINT.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './openapi';

const MAIN = path.join(repoRoot, 'simulator/main.ts');
const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });

void describe('simulator CLI', () => {
  void test('--help documents every flag', () => {
    const r = node(['--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const flag of [
      '--port',
      '--host',
      '--time-scale',
      '--api-key',
      '--clock',
      '--seed',
      '--scenario',
      '--quiet',
      '--help',
    ]) {
      assert.ok(r.stdout.includes(flag), `help mentions ${flag}`);
    }
    assert.match(r.stdout, /OLOSTEP_API_KEY/);
  });

  void test('bad flags exit 2 with the reason', () => {
    for (const args of [
      ['--port', 'x'],
      ['--time-scale', '0'],
      ['--clock', 'fast'],
      ['--scenario', 'nope'],
      ['--bogus'],
    ]) {
      const r = node(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    void test(`starts, prints its URL, serves with OLOSTEP_API_KEY, exits 0 on ${signal}`, async () => {
      const key = 'cli_env_key_91b3';
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--time-scale', '100'], {
        cwd: repoRoot,
        env: { ...process.env, OLOSTEP_API_KEY: key },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 15_000;
        let url: string | undefined;
        while (!url && Date.now() < deadline) {
          url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
          if (!url) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(url, `printed a URL: ${out}`);
        assert.ok(!out.includes(key), 'the key is not printed');
        assert.match(out, /API key from OLOSTEP_API_KEY/);
        const res = await fetch(`${url}/v1/batches-airops`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ items: [{ url: 'https://example.com', custom_id: 'a' }] }),
        });
        assert.equal(res.status, 200);
        const clock = (await (
          await fetch(`${url}/_sim/clock`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as {
          time_scale: number;
        };
        assert.equal(clock.time_scale, 100);
        child.kill(signal);
        assert.equal(await exited, 0);
        assert.match(out, new RegExp(`${signal}: shutting down`));
        assert.ok(!out.includes(key), 'the key is never logged');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
