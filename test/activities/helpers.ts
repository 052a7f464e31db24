// Shared pieces of the activity tests: a MockActivityEnvironment that records its heartbeats, a manual-clock
// simulator, the production activities pointed at it through a real OlostepClient, and small waits on the
// simulator's state (no sleeps with a deadline: a wait that never ends is the test runner's timeout).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { OlostepClient } from '../../olostep/client';
import { startSimulator, type SimulatorHandle } from '../../testing';

export const API_KEY = 'sim_key_activities_7d1c';
export const T0 = 1_760_000_000_000;

export function startManualSimulator(): Promise<SimulatorHandle> {
  return startSimulator({ clock: 'manual', startTime: T0, apiKey: API_KEY, webhookTimeoutMs: 2_000 });
}

/** The activities as the worker builds them, on a real OlostepClient pointed at the simulator. */
export function activitiesFor(
  sim: SimulatorHandle,
  opts: { apiKey?: string; timeoutMs?: number } & Omit<ActivityDeps, 'olostep'> = {},
) {
  const { apiKey, timeoutMs, ...deps } = opts;
  const olostep = new OlostepClient({ apiKey: apiKey ?? API_KEY, baseUrl: sim.url, timeoutMs: timeoutMs ?? 10_000 });
  return createActivities({ olostep, ...deps });
}

/**
 * A MockActivityEnvironment (a real activity Context) that records its heartbeats in order and types `run` by the
 * activity it runs. The worker's logger is at ERROR: every expected failure would otherwise print a warning.
 */
export class RecordingActivityEnvironment extends MockActivityEnvironment {
  readonly heartbeats: unknown[] = [];
  constructor(info: Partial<Info> = {}) {
    super(info, { logger: new DefaultLogger('ERROR') });
    this.on('heartbeat', (details: unknown) => this.heartbeats.push(details));
  }

  override run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
    return super.run<A, R, typeof fn>(fn, ...args);
  }
}

export function mockEnv(info: Partial<Info> = {}): { env: RecordingActivityEnvironment; heartbeats: unknown[] } {
  const env = new RecordingActivityEnvironment(info);
  return { env, heartbeats: env.heartbeats };
}

/** The ApplicationFailure `promise` rejects with (fails the test when it resolves or rejects with anything else). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, 'expected the activity to fail');
  assert.ok(caught instanceof ApplicationFailure, `expected an ApplicationFailure, got ${inspect(caught)}`);
  return caught;
}

/** The cancellation an activity rejected with when it was cancelled (Temporal records a cancelled attempt). */
export async function cancellationOf(promise: Promise<unknown>): Promise<CancelledFailure> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CancelledFailure, `expected a CancelledFailure, got ${inspect(caught)}`);
  return caught;
}

/** First entry of a failure's details, as the activities put it there. */
export function detailsOf(failure: ApplicationFailure): Record<string, unknown> {
  const first: unknown = failure.details?.[0];
  assert.ok(first !== null && typeof first === 'object', 'failure details');
  return first as Record<string, unknown>;
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 2));

/** Resolves once `cond()` holds, checking every few ms. */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await tick();
}

/** Resolves once a `hold` rule holds at least `n` requests open. */
export function untilHeld(sim: SimulatorHandle, ruleId: string | undefined, n = 1): Promise<void> {
  assert.ok(ruleId !== undefined, 'a fault rule id');
  return until(() => sim.faults.held(ruleId) >= n);
}

/** Moves the manual clock to virtual time `t` (no-op when already there). */
export async function advanceTo(sim: SimulatorHandle, t: number): Promise<void> {
  const now = sim.clock.now();
  if (t > now) await sim.clock.advance(t - now);
}
