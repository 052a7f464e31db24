/**
 * The AirOps batch API without Temporal (package entry `airops-temporal/olostep`): the typed HTTP client
 * ({@link OlostepClient}: create, status, items), zod schemas and their types under one name, the normalized
 * snapshot, and the error family (`OlostepError` subclasses with stable `type` strings).
 *
 * Workflow code must NOT import this barrel (it pulls in zod and axios): inside the project, workflows import
 * `olostep/normalize`, `olostep/snapshot`, `olostep/enums`, `olostep/errors`, `olostep/batch-id` or
 * `olostep/create-request` directly, which are free of both.
 *
 * @packageDocumentation
 */
export * from './snapshot';
export * from './enums';
export * from './errors';
export * from './batch-id';
export * from './schemas';
export * from './normalize';
export * from './response-errors';
export * from './client';
