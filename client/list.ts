// Finding trackers through visibility queries on the batch's search attributes (AirOpsStatus, AirOpsPhase,
// AirOpsStalled, AirOpsBatchId): works from any service and language, with no worker involved.
import type { Client } from '@temporalio/client';
import { OVERALL_STATUSES, PHASES } from '../olostep/enums';
import { DONE_PHASE, TRACK_WORKFLOW_TYPE, searchAttributes } from '../workflows/contract';
import { InvalidListFilterError } from './errors';
import { summaryOf, type AirOpsBatchSummary } from './progress';

/** Overall statuses the API documents (AirOpsStatus). Others may appear; the filter accepts any plain token. */
export const KNOWN_STATUSES = OVERALL_STATUSES;
/** Phases (AirOpsPhase); `done` once the batch is terminal. */
export const KNOWN_PHASES = [...PHASES, DONE_PHASE] as const;
/** Workflow execution statuses as visibility names them. */
export const EXECUTION_STATUSES = [
  'Running',
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
  'ContinuedAsNew',
  'TimedOut',
] as const;

export interface ListAirOpsBatchesOptions {
  /** Batch overall status(es), e.g. `'in_progress'` or `['pending', 'in_progress']`. */
  status?: string | readonly string[];
  /** Current phase(s), e.g. `'enriching'`, or `'done'` for terminal batches. */
  phase?: string | readonly string[];
  /** Only trackers flagged (or not) as stalled. */
  stalled?: boolean;
  /** The tracker workflow's execution status(es), e.g. `'Running'`. */
  executionStatus?: (typeof EXECUTION_STATUSES)[number] | readonly (typeof EXECUTION_STATUSES)[number][];
  /** At most this many results (newest first). Default 100. */
  limit?: number;
}

// Keyword values go into a quoted SQL-like string: allow only what batch ids and enum values look like.
const SAFE_TOKEN = /^[A-Za-z0-9_.:-]{1,255}$/;

function values(name: string, v: string | readonly string[] | undefined): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : [...v];
  if (list.length === 0) throw new InvalidListFilterError(`${name}: give at least one value`);
  for (const item of list) {
    if (!SAFE_TOKEN.test(item)) {
      throw new InvalidListFilterError(`${name}: ${JSON.stringify(item.slice(0, 40))} is not a plain token`);
    }
  }
  return list;
}

function clause(attribute: string, list: string[]): string | null {
  if (list.length === 0) return null;
  if (list.length === 1) return `${attribute} = '${list[0]}'`;
  return `${attribute} IN (${list.map((v) => `'${v}'`).join(', ')})`;
}

/**
 * The visibility query `listAirOpsBatches` runs, e.g.
 * `WorkflowType = 'trackAirOpsBatch' AND AirOpsStatus = 'in_progress' AND AirOpsPhase = 'enriching'`.
 * Paste it into the Temporal UI's search box or `temporal workflow list --query`.
 *
 * @throws InvalidListFilterError for a value that is not a plain token (letters, digits, `_ . : -`).
 */
export function airOpsBatchesQuery(options: Omit<ListAirOpsBatchesOptions, 'limit'> = {}): string {
  const parts = [
    `WorkflowType = '${TRACK_WORKFLOW_TYPE}'`,
    clause(searchAttributes.status.name, values('status', options.status)),
    clause(searchAttributes.phase.name, values('phase', options.phase)),
    clause('ExecutionStatus', values('executionStatus', options.executionStatus)),
    options.stalled === undefined ? null : `${searchAttributes.stalled.name} = ${options.stalled}`,
  ];
  return parts.filter((p): p is string => p !== null).join(' AND ');
}

/**
 * AirOps batch trackers matching the filters, newest first, read from Temporal visibility (eventually
 * consistent: a change shows up after a short delay, not at once).
 * Filters combine with AND; each accepts one value or a list (OR).
 *
 * @example
 * const enriching = await listAirOpsBatches(client, { status: 'in_progress', phase: 'enriching' });
 */
export async function listAirOpsBatches(
  client: Client,
  options: ListAirOpsBatchesOptions = {},
): Promise<AirOpsBatchSummary[]> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidListFilterError(`limit must be ≥ 1, got ${limit}`);
  const query = airOpsBatchesQuery(options);
  const out: AirOpsBatchSummary[] = [];
  for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    out.push(summaryOf(info));
    if (out.length >= limit) break;
  }
  return out;
}
