// Shared plumbing for the webhook receiver tests: payloads, a fetch wrapper, log capture, a closed port.
import http from 'node:http';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { trackerWorkflowId } from '../../workflows/contract';
import type { LogStream } from '../../webhooks/server';

export const SECRET = 'whsec_test_5f1d2c3b4a69788796a5';
export const HMAC_SECRET = 'hmac-test-key-0f9e8d7c6b5a4321';

let counter = 0;
/** A batch id no other test uses. */
export function freshBatchId(prefix = 'batch_wh'): string {
  counter++;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A webhook payload (docs/airops-api.md#webhook-payload) for `event` (short name or full `object`), with a plausible
 * status: scraping started with `scraping.submitted` URLs (default 10), `scraping.succeeded` of them done (default 0).
 */
export function payloadFor(
  batchId: string,
  event = 'scraping_started',
  at = 1_760_000_000_000,
  scraping: { submitted?: number; succeeded?: number; timestamp?: number } = {},
): Record<string, unknown> {
  const object = event.startsWith('event.') ? event : `event.batch.airops.${event}`;
  const submitted = scraping.submitted ?? 10;
  return {
    object,
    id: batchId,
    created: at,
    timestamp: scraping.timestamp ?? at + 1_000,
    status: {
      overall: 'in_progress',
      scraping: {
        state: 'started',
        submitted,
        valid: submitted,
        succeeded: scraping.succeeded ?? 0,
        failed: 0,
        started_at: at,
        completed_at: null,
        error: null,
      },
      analyzing: {
        state: 'pending',
        items_analyzed: 0,
        items_needing_enrichment: 0,
        items_complete: 0,
        fields_to_enrich: null,
        started_at: null,
        completed_at: null,
      },
      enriching: {
        state: 'pending',
        items_to_enrich: 0,
        items_enriched: 0,
        items_failed: 0,
        llm_batch_id: null,
        started_at: null,
        completed_at: null,
        error: null,
      },
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
}

/** POSTs `body` (an object is sent as JSON; a string or Buffer as is) with `content-type: application/json`. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: data,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = null;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Whether a tracker exists for `batchId` (any status). */
export async function trackerExists(client: Client, batchId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(trackerWorkflowId(batchId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** A log destination keeping every line. */
export function captureLog(): LogStream & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
      return true;
    },
  };
}

/** A loopback port nothing listens on: a port that was free a moment ago. */
export { freePort as closedPort } from '../reliability/processes';

/** POSTs `chunks` with chunked transfer encoding (no Content-Length); resolves to the status, or null on a reset. */
export function postChunked(url: string, chunks: string[]): Promise<{ status: number | null }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? null }));
    });
    req.on('error', () => resolve({ status: null }));
    for (const c of chunks) req.write(c);
    req.end();
  });
}
