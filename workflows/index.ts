// The workflows module the worker bundles (workflowsPath). Only workflow functions are exported here.
export { trackAirOpsBatch } from './track-airops-batch';
export { runAirOpsBatch } from './run-airops-batch';
