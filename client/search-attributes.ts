// The client library's guard before starting a tracker or a run: does the namespace have the tracker's search
// attributes? Checked once per client and namespace (one ListSearchAttributes call); a positive answer is kept, a
// negative one is not, so registering the attributes is picked up by the next start.
import type { Client } from '@temporalio/client';
import {
  checkSearchAttributes,
  describeSearchAttributeProblem,
  isOperatorCallRefused,
  searchAttributeTypeName,
  searchAttributesReady,
} from './search-attribute-preflight';
import { MissingSearchAttributesError, isTemporalUnavailable } from './errors';

const verified = new WeakMap<Client, Map<string, Promise<void>>>();

async function check(client: Client, namespace: string): Promise<void> {
  let result;
  try {
    result = await checkSearchAttributes(client.connection, namespace);
  } catch (err) {
    // A server that does not let this identity list search attributes cannot be checked: the start goes ahead and
    // the server judges it, as it would without this guard.
    if (!isTemporalUnavailable(err) && isOperatorCallRefused(err)) return;
    throw err;
  }
  if (searchAttributesReady(result)) return;
  throw new MissingSearchAttributesError(
    namespace,
    result.missing.map((m) => ({ name: m.name, type: searchAttributeTypeName(m.type) })),
    result.wrongType,
    describeSearchAttributeProblem(result),
  );
}

/**
 * Resolves when the client's namespace has the tracker's search attributes, each with its type; the answer is cached
 * per client and namespace, so only the first call costs a ListSearchAttributes round trip.
 * @throws MissingSearchAttributesError when attributes are missing or have another type (not cached: the next call
 *   checks again).
 */
export async function assertSearchAttributes(client: Client): Promise<void> {
  const namespace = client.options.namespace;
  let perClient = verified.get(client);
  if (!perClient) {
    perClient = new Map();
    verified.set(client, perClient);
  }
  let pending = perClient.get(namespace);
  if (!pending) {
    const map = perClient;
    pending = check(client, namespace).catch((err: unknown) => {
      map.delete(namespace);
      throw err;
    });
    perClient.set(namespace, pending);
  }
  return pending;
}
