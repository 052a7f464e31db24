// From URLs to results with runAirOpsBatch, the library behind the CLI's `run` command, usable from any service:
// read a URL list into a validated request (url-list), start the run (run-start), wait for it with live progress
// (run-watch), copy and describe its results (run-results).
export * from './url-list';
export * from './run-start';
export * from './run-watch';
export * from './run-results';
