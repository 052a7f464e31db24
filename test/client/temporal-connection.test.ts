// client/temporal-connection.ts: the Temporal connection the worker, the CLI, the receiver and the demo share,
// through @temporalio/envconfig (API key ⇒ TLS, TOML profiles, gRPC metadata), with CLI flags on top.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadTemporalConnectConfig } from '../../client/temporal-connection';

describe('Temporal connection configuration', () => {
  it('defaults: local Temporal, default namespace, no TLS', () => {
    const t = loadTemporalConnectConfig({ HOME: tmpdir() });
    assert.equal(t.address, 'localhost:7233');
    assert.equal(t.namespace, 'default');
    assert.equal(t.tls, false);
  });

  it('Temporal Cloud: TEMPORAL_API_KEY turns TLS on; TEMPORAL_TLS and gRPC metadata come through envconfig', () => {
    const cloud = loadTemporalConnectConfig({
      HOME: tmpdir(),
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'tc_secret_key',
      TEMPORAL_GRPC_META_X_TEAM: 'crawl',
    });
    assert.equal(cloud.address, 'ns.acct.tmprl.cloud:7233');
    assert.equal(cloud.namespace, 'ns.acct');
    assert.equal(cloud.tls, true);
    assert.equal(cloud.apiKey, true);
    assert.equal(cloud.connectionOptions.apiKey, 'tc_secret_key');
    assert.deepEqual(cloud.connectionOptions.metadata, { 'x-team': 'crawl' });
    const noTls = loadTemporalConnectConfig({ HOME: tmpdir(), TEMPORAL_API_KEY: 'k2', TEMPORAL_TLS: 'false' });
    assert.equal(noTls.tls, false);
    const flags = loadTemporalConnectConfig(
      { HOME: tmpdir(), TEMPORAL_ADDRESS: 'a:1' },
      { address: 'b:2', namespace: 'n' },
    );
    assert.deepEqual([flags.address, flags.namespace], ['b:2', 'n']);
    assert.throws(() => loadTemporalConnectConfig({ TEMPORAL_ADDRESS: 'not an address' }), ConfigError);
  });

  it('an envconfig TOML profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), overridden by TEMPORAL_* variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envconfig-'));
    try {
      const file = join(dir, 'temporal.toml');
      writeFileSync(
        file,
        [
          '[profile.prod]',
          'address = "prod.tmprl.cloud:7233"',
          'namespace = "prod-ns"',
          'api_key = "from-file"',
          '',
        ].join('\n'),
      );
      const prod = loadTemporalConnectConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
      assert.deepEqual([prod.address, prod.namespace, prod.tls], ['prod.tmprl.cloud:7233', 'prod-ns', true]);
      const overridden = loadTemporalConnectConfig({
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'prod',
        TEMPORAL_NAMESPACE: 'other',
      });
      assert.equal(overridden.namespace, 'other');
      writeFileSync(file, 'this is [not toml');
      assert.throws(
        () => loadTemporalConnectConfig({ TEMPORAL_CONFIG_FILE: file }),
        (err: unknown) => err instanceof ConfigError && !err.message.includes('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
