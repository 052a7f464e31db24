// worker/config.ts: the environment → a validated configuration, one clear line per problem, and a loggable view
// without secrets (the Temporal connection: test/client/temporal-connection.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { ConfigError, loadTemporalConnectConfig } from '../../client/temporal-connection';
import { describeWorkerConfig, loadWorkerConfig } from '../../worker/config';
import { createLogger, redactor } from '../../worker/logging';

const KEY = 'sk_live_CONFIG_SECRET_0a1b2c';

describe('worker configuration', () => {
  it('defaults: default task queue, api.olostep.com, INFO JSON logs, no metrics', () => {
    const c = loadWorkerConfig({ OLOSTEP_API_KEY: KEY });
    assert.equal(c.TASK_QUEUE, 'airops-batches');
    assert.equal(c.OLOSTEP_BASE_URL, 'https://api.olostep.com');
    assert.equal(c.LOG_LEVEL, 'INFO');
    assert.equal(c.LOG_FORMAT, 'json');
    assert.equal(c.METRICS_ADDRESS, undefined);
  });

  it('every setting parsed and typed', () => {
    const c = loadWorkerConfig({
      OLOSTEP_API_KEY: KEY,
      OLOSTEP_BASE_URL: 'http://127.0.0.1:8787',
      TASK_QUEUE: 'q1',
      MAX_CONCURRENT_ACTIVITIES: '20',
      MAX_CONCURRENT_WORKFLOW_TASKS: '4',
      MAX_CACHED_WORKFLOWS: '0',
      SHUTDOWN_GRACE_MS: '1000',
      METRICS_ADDRESS: '0.0.0.0:9464',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'text',
      RESULTS_DIR: '/data/results',
    });
    assert.deepEqual(
      [c.MAX_CONCURRENT_ACTIVITIES, c.MAX_CONCURRENT_WORKFLOW_TASKS, c.MAX_CACHED_WORKFLOWS, c.SHUTDOWN_GRACE_MS],
      [20, 4, 0, 1000],
    );
    assert.equal(c.LOG_LEVEL, 'DEBUG');
    assert.equal(c.METRICS_ADDRESS, '0.0.0.0:9464');
  });

  it('a missing or invalid setting: one line naming every bad variable, never the key', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{}, /OLOSTEP_API_KEY is required/],
      [{ OLOSTEP_API_KEY: '' }, /OLOSTEP_API_KEY is required/],
      [{ OLOSTEP_API_KEY: KEY, TEMPORAL_ADDRESS: 'http://x:7233' }, /TEMPORAL_ADDRESS must be host:port/],
      [{ OLOSTEP_API_KEY: KEY, OLOSTEP_BASE_URL: 'ftp://x' }, /OLOSTEP_BASE_URL must be an http\(s\) URL/],
      [{ OLOSTEP_API_KEY: KEY, MAX_CONCURRENT_ACTIVITIES: '2.5' }, /MAX_CONCURRENT_ACTIVITIES must be a whole number/],
      [{ OLOSTEP_API_KEY: KEY, MAX_CONCURRENT_WORKFLOW_TASKS: '1' }, /MAX_CONCURRENT_WORKFLOW_TASKS/],
      [{ OLOSTEP_API_KEY: KEY, METRICS_ADDRESS: '9464' }, /METRICS_ADDRESS must be host:port/],
      [{ OLOSTEP_API_KEY: KEY, LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR/],
      [{ OLOSTEP_API_KEY: KEY, LOG_FORMAT: 'xml' }, /LOG_FORMAT must be json or text/],
    ];
    for (const [env, pattern] of cases) {
      assert.throws(
        () => loadWorkerConfig(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, /^invalid worker configuration: /);
          assert.match(err.message, pattern);
          assert.ok(!err.message.includes('\n'), 'one line');
          assert.ok(!err.message.includes(KEY), 'no key');
          return true;
        },
      );
    }
    assert.throws(
      () => loadWorkerConfig({ LOG_LEVEL: 'x', METRICS_ADDRESS: 'y' }),
      /OLOSTEP_API_KEY .*; METRICS_ADDRESS .*; LOG_LEVEL /,
    );
  });

  it('the loggable view says whether keys are set, never what they are', () => {
    const c = loadWorkerConfig({ OLOSTEP_API_KEY: KEY });
    const t = loadTemporalConnectConfig({ HOME: tmpdir(), TEMPORAL_API_KEY: 'tc_secret_key' });
    const text = JSON.stringify(describeWorkerConfig(c, t));
    assert.ok(!text.includes(KEY) && !text.includes('tc_secret_key'));
    assert.match(text, /"olostepApiKey":"set"/);
    assert.match(text, /"temporalApiKey":"set"/);
  });

  it('JSON log lines, with secrets redacted even inside messages and metadata', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'INFO', secrets: [KEY], write: (l) => lines.push(l) });
    logger.info(`request failed with key ${KEY}`, { header: `Bearer ${KEY}`, n: 1n });
    logger.debug('not shown at INFO');
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.level, 'INFO');
    assert.equal(entry.msg, 'request failed with key [redacted]');
    assert.equal(entry.header, 'Bearer [redacted]');
    assert.equal(entry.n, '1');
    assert.match(String(entry.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(
      redactor(['abc'])('abc'),
      'abc',
      'secrets under 4 characters are not redacted (they would mangle text)',
    );
  });
});
