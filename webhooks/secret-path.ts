// Where deliveries go: the path prefix, the secret that rides in it, the URL to give Olostep, and how that URL
// may appear in a log. AirOps deliveries carry no signature and no custom headers
// (docs/airops-api.md#webhook-delivery), so the per-deployment secret travels in the URL path.

/** Where the receiver listens for deliveries unless told otherwise. */
export const DEFAULT_WEBHOOK_PATH = '/webhooks/airops';
/** Shortest secret accepted (path segment, token, HMAC key). */
const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 512;
/** Secrets travel in a URL path segment, so they are restricted to RFC 3986 unreserved characters. */
const SECRET_CHARS = /^[A-Za-z0-9._~-]+$/;

/**
 * Why a secret is unusable, or null when it is fine. Never includes the secret itself.
 * @param urlSafe require RFC 3986 unreserved characters (the webhook secret travels in a URL path; an HMAC key does not)
 */
export function secretProblem(secret: unknown, name = 'secret', urlSafe = true): string | null {
  if (typeof secret !== 'string' || secret.length === 0) return `${name} is required`;
  if (secret.length < MIN_SECRET_LENGTH) return `${name} must be at least ${MIN_SECRET_LENGTH} characters`;
  if (secret.length > MAX_SECRET_LENGTH) return `${name} must be at most ${MAX_SECRET_LENGTH} characters`;
  if (urlSafe && !SECRET_CHARS.test(secret)) {
    return `${name} may only contain A-Z a-z 0-9 . _ ~ - (it is used in a URL path)`;
  }
  return null;
}

/** Why a path prefix is unusable, or null: `/a/b` form, no trailing slash, no parameters or wildcards. */
export function pathProblem(path: string): string | null {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) return 'must look like /webhooks/airops (no trailing slash)';
  return null;
}

/**
 * The URL to give Olostep as a batch's `webhook`: `<baseUrl><path>/<secret>`.
 * @param baseUrl public origin of the receiver, e.g. `https://hooks.example.com` (a trailing slash is fine)
 * @param secret the receiver's `WEBHOOK_SECRET`
 * @param path the receiver's path prefix, default `/webhooks/airops`
 * @throws RangeError when the secret or path is unusable, or baseUrl is not an absolute http(s) URL
 */
export function webhookUrlFor(baseUrl: string, secret: string, path: string = DEFAULT_WEBHOOK_PATH): string {
  const problem = secretProblem(secret) ?? (pathProblem(path) === null ? null : `path ${pathProblem(path)}`);
  if (problem !== null) throw new RangeError(`webhookUrlFor: ${problem}`);
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new RangeError('webhookUrlFor: baseUrl must be an absolute http(s) URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new RangeError('webhookUrlFor: baseUrl must be an absolute http(s) URL');
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${path}/${secret}`;
}

/**
 * A request URL as it may appear in a log: no query string, the secret segment under the webhook path replaced by
 * `[secret]`, and any other segment of 16+ characters (the shortest secret) replaced by `[redacted]`, so a
 * mistyped path cannot leak a near-miss of the secret either.
 */
export function redactUrl(url: string, path: string = DEFAULT_WEBHOOK_PATH): string {
  const q = url.indexOf('?');
  const bare = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : '?[redacted]';
  if (bare.startsWith(`${path}/`)) return `${path}/[secret]${query}`;
  const segments = bare
    .slice(0, 512)
    .split('/')
    .map((s) => (s.length >= MIN_SECRET_LENGTH ? '[redacted]' : s));
  return `${segments.join('/')}${bare.length > 512 ? '…' : ''}${query}`;
}
