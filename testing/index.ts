/**
 * An offline kit for your own tests (entry `airops-temporal/testing`): a local AirOps API and the real tracker
 * running against it, with no network and no API key.
 *
 * - {@link startSimulator}: the AirOps batch API in process on a free port: create, status, items and webhook
 *   delivery, scripted scenarios (`happy`, `scraping_failed`, `enrichment_skipped`, ...), a time scale or a manual
 *   clock, and injected faults (errors, latency, rate limits, held requests).
 * - {@link runTrackerOnSimulator}: runs `trackAirOpsBatch` for one simulated batch to its end on a worker of its
 *   own, on a `TestWorkflowEnvironment` from `@temporalio/testing` (time-skipping or local), and returns the
 *   result and the history (replay it with `Worker.runReplayHistory` to guard your own workflow changes).
 * - {@link simulatorActivities}: the production activities pointed at the simulator, for a worker you build.
 *
 * ```ts
 * const env = await TestWorkflowEnvironment.createTimeSkipping();
 * const sim = await startSimulator({ clock: 'manual' });
 * const { id } = sim.createBatch({ items: sampleItems(20) }, { scenario: 'happy' });
 * const { result } = await runTrackerOnSimulator({ env, simulator: sim, batchId: id });
 * ```
 *
 * @packageDocumentation
 */
export {
  DEFAULT_API_KEY,
  SimulatorControlError,
  SimulatorInputError,
  startSimulator,
  type BatchScript,
  type FaultRule,
  type FaultSpec,
  type GroundTruth,
  type RequestLogEntry,
  type SimulatorClock,
  type SimulatorHandle,
  type SimulatorOptions,
  type WebhookDeliveryRecord,
} from '../simulator/server';
export { SCENARIOS, SCENARIO_NAMES, type Scenario } from '../simulator/scenarios';
export {
  activityTime,
  registerTrackerSearchAttributes,
  runTrackerOnSimulator,
  sampleItems,
  simulatorActivities,
  syncSimClock,
  type RunTrackerOptions,
  type SimulatorActivitiesOptions,
  type TemporalClock,
  type TrackerRun,
  type TrackerTestEnv,
} from './tracker';
