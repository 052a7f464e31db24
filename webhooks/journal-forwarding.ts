// The ingest journal wired to Temporal: a forwarder that signals each journaled event's tracker exactly as a direct
// delivery would (docs/webhooks.md#ingest-journal-webhook_journal_dir-opt-in), logs and counts what fails, and
// drops an event Temporal refuses as invalid, since no retry would change that answer.
import { GRPC_STATUS, grpcCodeOf } from '../client/errors';
import type { FastifyBaseLogger } from 'fastify';
import { errorText } from './errors';
import { JournalForwarder, type JournalEntry, type WebhookJournal } from './journal';
import { type SignalOutcome, type TrackerSignaler } from './tracker-signal';

/** Counters the forwarder keeps up to date (the receiver's stats object). */
export interface ForwardCounters {
  forwardRetries: number;
  forwardDropped: number;
}

export interface JournalForwardingOptions {
  journal: WebhookJournal;
  signaler: TrackerSignaler;
  counters: ForwardCounters;
  log: FastifyBaseLogger;
  /** Signals in flight at once (the forwarder's default when unset). */
  concurrency?: number | undefined;
  /** Called after each signal Temporal answered. */
  onSignaled: (entry: JournalEntry, outcome: SignalOutcome) => void;
}

/** A forwarder (not started) from `journal` to the trackers. */
export function createJournalForwarder(opts: JournalForwardingOptions): JournalForwarder {
  const { journal, signaler, counters, log } = opts;
  return new JournalForwarder(
    journal,
    async (entry) => {
      let outcome: SignalOutcome;
      try {
        outcome = await signaler.signal(entry.payload);
      } catch (err) {
        // Temporal refusing the request itself (INVALID_ARGUMENT, e.g. too large): no retry changes that, and it would
        // otherwise hold the head of the journal forever.
        if (grpcCodeOf(err) !== GRPC_STATUS.INVALID_ARGUMENT) throw err;
        counters.forwardDropped++;
        log.error(
          { batchId: entry.payload.id.slice(0, 64), error: errorText(err) },
          'Temporal refused a journaled event as invalid; dropped',
        );
        return;
      }
      opts.onSignaled(entry, outcome);
    },
    {
      ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
      onFailure: (entry, err, retryInMs) => {
        counters.forwardRetries++;
        log.warn(
          {
            batchId: entry.payload.id.slice(0, 64),
            grpcCode: grpcCodeOf(err),
            error: errorText(err),
            retryInMs,
            backlog: journal.backlog,
          },
          'forwarding a journaled event failed; it stays in the journal and is retried',
        );
      },
    },
  );
}
