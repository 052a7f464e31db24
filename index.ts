/**
 * The client library (package entry `airops-temporal`), for any service that starts, reads, waits for, lists or
 * cancels AirOps batch trackers on Temporal. Every function takes a `Client` from `@temporalio/client`.
 *
 * ```ts
 * const handle = await startAirOpsBatchTracker(client, batchId); // idempotent: one tracker per batch
 * const progress = await getAirOpsBatchProgress(client, batchId); // phases, counts, percent, ETA
^ * const result = await waitForAirOpsBatch(client, batchId); // the batch's outcome
 * ```
 *
 * The other entries: `airops-temporal/workflows` (workflow code for your worker's bundle), `airops-temporal/activities`
 * and `airops-temporal/worker` (a worker process), `airops-temporal/olostep` (the AirOps HTTP client, no Temporal) and
 * `airops-temporal/testing` (the simulator and a tracker test helper).
 *
 * @packageDocumentation
 */
export * from './client';
