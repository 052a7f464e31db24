/**
 * The workflow code (package entry `airops-temporal/workflows`): what a worker bundles (`workflowsPath`). Only
 * workflow functions are exported here, and every module behind them is deterministic (no I/O, no zod, axios or
 * Node built-ins), so the bundle is safe when built from node_modules.
 *
 * In a worker of your own, re-export them from your workflows module next to your workflows, and bundle with the
 * tracker's pure modules preloaded (`SHARED_WORKFLOW_MODULES` from `airops-temporal/worker`):
 *
 * ```ts
 * // src/workflows.ts
 * export { trackAirOpsBatch, runAirOpsBatch } from 'airops-temporal/workflows';
 * export async function myWorkflow() { ... }
 * ```
 *
 * @packageDocumentation
 */
export { trackAirOpsBatch } from './track-airops-batch';
export { runAirOpsBatch } from './run-airops-batch';
