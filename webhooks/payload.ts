// What a delivery says: the parsed body validated against olostep/'s WebhookPayload, its event name sorted
// (documented, a future AirOps event, or not an AirOps event at all), and the payload normalized into the
// BatchSnapshot the tracker merges, with the same normalizer the workflow uses (olostep/normalize.ts).
// The event names are olostep/'s list (docs/airops-api.md#webhook-events); this file keeps no copy of it.
import { WEBHOOK_EVENT_TYPES } from '../olostep/enums';
import { isKnownWebhookEvent, snapshotFromWebhook } from '../olostep/normalize';
import { WebhookPayload, explainIssues } from '../olostep/schemas';
import type { BatchSnapshot } from '../olostep/snapshot';
import { ReceiverError } from './errors';

/** Issues listed in a 400 `invalid_payload` answer, at most. */
const MAX_ISSUES = 5;

/**
 * The namespace every documented event name shares (`event.batch.airops.`), read off olostep/'s list so the
 * vocabulary is written down once.
 */
const EVENT_NAMESPACE: string = (() => {
  const spaces = new Set(WEBHOOK_EVENT_TYPES.map((name: string) => name.slice(0, name.lastIndexOf('.') + 1)));
  const [only] = spaces;
  if (spaces.size !== 1 || only === undefined || only === '') {
    throw new Error('webhooks: the documented event names do not share one namespace');
  }
  return only;
})();
/** The rest of a future event's name after the namespace: snake_case, as every documented one is. */
const FUTURE_EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * What to do with an event name (a payload's `object`): merge it (`known`, or `future` for a name in the AirOps
 * namespace this code does not know yet: it still carries the batch's status), or refuse it (`unsupported`).
 * See docs/webhooks.md#unknown-event-types.
 */
export function classifyEvent(object: string): 'known' | 'future' | 'unsupported' {
  if (isKnownWebhookEvent(object)) return 'known';
  return object.startsWith(EVENT_NAMESPACE) && FUTURE_EVENT_NAME.test(object.slice(EVENT_NAMESPACE.length))
    ? 'future'
    : 'unsupported';
}

/** The parsed body as a webhook payload, or the 400 `invalid_payload` to answer, naming the first issues. */
export function validatePayload(body: unknown): WebhookPayload | ReceiverError {
  const parsed = WebhookPayload.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = explainIssues(parsed.error.issues)
    .slice(0, MAX_ISSUES)
    .map((i) => ({
      path: i.path.map(String).join('.') || '(root)',
      message: i.message.slice(0, 200),
    }));
  return new ReceiverError(400, 'invalid_payload', 'not an AirOps webhook payload', { issues });
}

/** The 422 to answer for an event name that is not an AirOps batch event; nothing is signaled. */
export function unsupportedEvent(): ReceiverError {
  return new ReceiverError(422, 'unsupported_event', `this endpoint takes ${EVENT_NAMESPACE}* events only`);
}

/**
 * The `airopsEvent` signal's argument for a validated payload: the normalized snapshot the tracker merges
 * (`source.kind` `webhook`, the event name in `source.event`, unknown values already listed).
 */
export function trackerEvent(payload: WebhookPayload): BatchSnapshot {
  return snapshotFromWebhook(payload);
}
