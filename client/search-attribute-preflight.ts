// The search-attribute preflight, in one place for the worker (worker/main.ts), the demo and the webhook receiver
// (webhooks/main.ts), and the check behind the client library's start functions.
//
// Trackers set and upsert the custom search attributes of workflows/contract.ts. On a namespace without them the
// server refuses every such start and fails every workflow task that upserts one (BadSearchAttributes), retried
// forever: a worker would say "ready" and track nothing. So each entry point lists the namespace's search
// attributes at start and:
//   - registers the missing ones where the server allows it (dev server, self-hosted with operator rights), then
//     waits until the listing shows them, so a tracker started right after never meets the old mapping;
//   - otherwise stops with one line naming the missing attributes and the `temporal operator` command that adds them;
//   - stops the same way when one of ours exists with another type: registering cannot fix that.
//
// This module loads no worker runtime (only the contract and the client's error helpers), so the client library
// can use its check too.
import type { OperatorService } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/contract';
import { GRPC_STATUS, grpcCodeOf, isTemporalUnavailable } from './errors';

/** What the preflight needs of a connection: `Connection` (client) and `NativeConnection` (worker) both fit. */
export interface SearchAttributeOperator {
  operatorService: Pick<OperatorService, 'listSearchAttributes' | 'addSearchAttributes'>;
}

/** A search attribute the tracker needs: its name and type. */
export interface RequiredSearchAttribute {
  name: string;
  type: SearchAttributeType;
}

/** temporal.api.enums.v1.IndexedValueType, the server's numbering of search-attribute types. */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/** The names `temporal operator search-attribute create --type` takes. */
const CLI_TYPE: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** A search-attribute type as the `temporal` CLI and the UI name it: `KEYWORD` → `Keyword`. */
export function searchAttributeTypeName(type: SearchAttributeType): string {
  return CLI_TYPE[type];
}

function cliTypeOfIndexed(value: unknown): string {
  const entry = Object.entries(INDEXED_VALUE_TYPE).find(([, n]) => n === value);
  return entry ? CLI_TYPE[entry[0] as SearchAttributeType] : `unknown type ${String(value)}`;
}

/** The project's custom search attributes (workflows/contract.ts), as name and type. */
export const REQUIRED_SEARCH_ATTRIBUTES: readonly RequiredSearchAttribute[] = ALL_SEARCH_ATTRIBUTES.map((k) => ({
  name: k.name,
  type: k.type,
}));

/** One of ours registered with another type (e.g. AirOpsTotalUrls as Keyword instead of Int). */
export interface WrongTypeSearchAttribute {
  name: string;
  /** The type the tracker needs, as the `temporal` CLI names it (`Int`). */
  expected: string;
  /** The type the namespace has (`Keyword`). */
  actual: string;
}

/** How a namespace's search attributes compare with what the tracker needs. */
export interface SearchAttributeCheck {
  namespace: string;
  missing: RequiredSearchAttribute[];
  wrongType: WrongTypeSearchAttribute[];
}

/** True when the namespace has every attribute the tracker needs, each with its type. */
export function searchAttributesReady(check: SearchAttributeCheck): boolean {
  return check.missing.length === 0 && check.wrongType.length === 0;
}

/** Compares a namespace's custom search attributes (name → IndexedValueType, as listed) with the required ones. */
export function compareSearchAttributes(
  namespace: string,
  custom: Record<string, unknown> | null | undefined,
  required: readonly RequiredSearchAttribute[] = REQUIRED_SEARCH_ATTRIBUTES,
): SearchAttributeCheck {
  const have = custom ?? {};
  const missing: RequiredSearchAttribute[] = [];
  const wrongType: WrongTypeSearchAttribute[] = [];
  for (const attr of required) {
    if (!Object.prototype.hasOwnProperty.call(have, attr.name)) missing.push(attr);
    else if (have[attr.name] !== INDEXED_VALUE_TYPE[attr.type]) {
      wrongType.push({ name: attr.name, expected: CLI_TYPE[attr.type], actual: cliTypeOfIndexed(have[attr.name]) });
    }
  }
  return { namespace, missing, wrongType };
}

/** Lists the namespace's search attributes and compares them with the required ones. */
export async function checkSearchAttributes(
  connection: SearchAttributeOperator,
  namespace: string,
  required: readonly RequiredSearchAttribute[] = REQUIRED_SEARCH_ATTRIBUTES,
): Promise<SearchAttributeCheck> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  return compareSearchAttributes(namespace, listed.customAttributes, required);
}

/** The exact command that registers `attrs` on `namespace`. */
export function searchAttributeCreateCommand(namespace: string, attrs: readonly RequiredSearchAttribute[]): string {
  return `temporal operator search-attribute create --namespace ${namespace} ${attrs
    .map((a) => `--name ${a.name} --type ${CLI_TYPE[a.type]}`)
    .join(' ')}`;
}

/**
 * One line saying what is wrong with the namespace's search attributes and how to fix it: the missing ones with the
 * command that registers them, the wrong-typed ones (which registering cannot fix). `refusal` says why the preflight
 * could not register them itself.
 */
export function describeSearchAttributeProblem(check: SearchAttributeCheck, refusal?: string): string {
  const parts: string[] = [];
  if (check.wrongType.length > 0) {
    const list = check.wrongType.map((w) => `${w.name} is ${w.actual}, the tracker needs ${w.expected}`).join('; ');
    const remove = check.wrongType
      .map((w) => `temporal operator search-attribute remove --namespace ${check.namespace} --name ${w.name}`)
      .join(' && ');
    const create = searchAttributeCreateCommand(
      check.namespace,
      REQUIRED_SEARCH_ATTRIBUTES.filter((r) => check.wrongType.some((w) => w.name === r.name)),
    );
    parts.push(
      `namespace ${check.namespace} has search attributes of the wrong type (${list}); a type cannot be changed ` +
        `by registering: remove and re-create them (${remove} && ${create}) or use another namespace`,
    );
  }
  if (check.missing.length > 0) {
    const names = check.missing.map((m) => `${m.name} (${CLI_TYPE[m.type]})`).join(', ');
    parts.push(
      `namespace ${check.namespace} lacks the search attributes ${names}${refusal ? ` and ${refusal}` : ''}; ` +
        `register them: ${searchAttributeCreateCommand(check.namespace, check.missing)}`,
    );
  }
  return parts.join('; also ').replace(/\s+/g, ' ');
}

/** Why the preflight stopped: `line` is the one line to print. */
export class SearchAttributePreflightError extends Error {
  override readonly name = 'SearchAttributePreflightError';
  constructor(
    readonly kind: 'missing' | 'wrong-type' | 'not-visible',
    readonly check: SearchAttributeCheck,
    readonly line: string,
    options?: { cause?: unknown },
  ) {
    super(line, options);
  }
}

/** What the preflight did. */
export interface SearchAttributePreflightResult {
  /** The attributes it registered (empty when all were there). */
  registered: string[];
  /** False when the server does not let this identity list search attributes: nothing was checked. */
  verified: boolean;
  /** Why nothing was checked (only when `verified` is false). */
  unverifiedReason?: string;
}

export interface SearchAttributePreflightOptions {
  /** Try to register missing attributes (default true). */
  register?: boolean;
  /** How long registered attributes may take to appear in the listing (default 30 s). */
  visibleWithinMs?: number;
  /** Gap between listings while waiting (default 200 ms). */
  pollIntervalMs?: number;
}

/** The first line of an error's message, without the gRPC noise around it. */
function reasonOf(err: unknown): string {
  const code = grpcCodeOf(err);
  const codeName = Object.entries(GRPC_STATUS).find(([, n]) => n === code)?.[0];
  const details = (err as { details?: unknown } | null)?.details;
  const text =
    typeof details === 'string' && details !== '' ? details : err instanceof Error ? err.message : String(err);
  return `${codeName ? `${codeName}: ` : ''}${text.split('\n')[0]!.slice(0, 200)}`;
}

/** True for the answers of a server that does not let this identity use an operator call at all. */
export function isOperatorCallRefused(err: unknown): boolean {
  const code = grpcCodeOf(err);
  return (
    code === GRPC_STATUS.PERMISSION_DENIED || code === GRPC_STATUS.UNIMPLEMENTED || code === GRPC_STATUS.UNAUTHENTICATED
  );
}

/** Registers `attrs` on the namespace as they are (no listing first, no waiting): the call the preflight makes. */
export async function registerSearchAttributes(
  connection: SearchAttributeOperator,
  namespace: string,
  attrs: readonly RequiredSearchAttribute[] = REQUIRED_SEARCH_ATTRIBUTES,
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(attrs.map((a) => [a.name, INDEXED_VALUE_TYPE[a.type]])),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The preflight: list the namespace's search attributes; register the missing ones where the server allows it and
 * wait until they are listed. Throws SearchAttributePreflightError (with its one `line`) when an attribute has the
 * wrong type, when the server refuses to register the missing ones, or when they do not appear in time. A server
 * that does not let this identity list search attributes (PERMISSION_DENIED, UNIMPLEMENTED) cannot be checked:
 * the result says so (`verified: false`) and the caller carries on. Temporal being unreachable is rethrown as is.
 */
export async function preflightSearchAttributes(
  connection: SearchAttributeOperator,
  namespace: string,
  options: SearchAttributePreflightOptions = {},
): Promise<SearchAttributePreflightResult> {
  const { register = true, visibleWithinMs = 30_000, pollIntervalMs = 200 } = options;
  let check: SearchAttributeCheck;
  try {
    check = await checkSearchAttributes(connection, namespace);
  } catch (err) {
    if (!isTemporalUnavailable(err) && isOperatorCallRefused(err)) {
      return { registered: [], verified: false, unverifiedReason: `listing search attributes: ${reasonOf(err)}` };
    }
    throw err;
  }
  if (check.wrongType.length > 0) {
    throw new SearchAttributePreflightError('wrong-type', check, describeSearchAttributeProblem(check));
  }
  if (check.missing.length === 0) return { registered: [], verified: true };
  if (!register) {
    throw new SearchAttributePreflightError('missing', check, describeSearchAttributeProblem(check));
  }

  const wanted = check.missing;
  try {
    await registerSearchAttributes(connection, namespace, wanted);
  } catch (err) {
    if (isTemporalUnavailable(err)) throw err;
    // Another process may have registered them meanwhile (workers starting together): what counts is the listing.
    const again = await checkSearchAttributes(connection, namespace);
    if (again.wrongType.length > 0) {
      throw new SearchAttributePreflightError('wrong-type', again, describeSearchAttributeProblem(again), {
        cause: err,
      });
    }
    if (again.missing.length > 0) {
      const refusal = `the server refused to register them (${reasonOf(err)})`;
      throw new SearchAttributePreflightError('missing', again, describeSearchAttributeProblem(again, refusal), {
        cause: err,
      });
    }
    return { registered: [], verified: true };
  }

  // Registration can take a moment to reach the listing (and the server's caches behind it): wait for it.
  const deadline = Date.now() + visibleWithinMs;
  for (;;) {
    const now = await checkSearchAttributes(connection, namespace);
    if (now.wrongType.length > 0) {
      throw new SearchAttributePreflightError('wrong-type', now, describeSearchAttributeProblem(now));
    }
    if (now.missing.length === 0) return { registered: wanted.map((a) => a.name), verified: true };
    if (Date.now() >= deadline) {
      const refusal = `they were registered but not listed within ${Math.round(visibleWithinMs / 1000)} s`;
      throw new SearchAttributePreflightError('not-visible', now, describeSearchAttributeProblem(now, refusal));
    }
    await sleep(pollIntervalMs);
  }
}
