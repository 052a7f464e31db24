// Public surface of the AirOps HTTP API package: schemas + types, the normalized snapshot, pure normalizers,
// the error family and the axios client. No Temporal here.
// Workflow code must NOT import this barrel (it pulls in zod and axios): import `olostep/normalize`,
// `olostep/snapshot`, `olostep/enums` or `olostep/errors` directly, which are free of both.
export * from './snapshot';
export * from './enums';
export * from './errors';
export * from './batch-id';
export * from './schemas';
export * from './normalize';
export * from './response-errors';
export * from './client';
