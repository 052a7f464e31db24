// Who may deliver: the secret (path segment, bearer token or token header), the optional HMAC signature of the raw
// body, and the per-IP limit on failed attempts. Every comparison is constant-time (docs/webhooks.md#pipeline).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ReceiverError } from './errors';

/**
 * Header carrying the HMAC-SHA256 of the raw body, once Olostep signs deliveries. The name and format are an
 * assumption (docs/webhooks.md#pipeline, step 4).
 */
const SIGNATURE_HEADER = 'x-olostep-signature';
/** Alternative to `Authorization: Bearer <secret>`. */
const TOKEN_HEADER = 'x-webhook-token';

/** Failed authentications per client IP per window before further failures get 429 instead of 401. */
const DEFAULT_AUTH_FAILURE_LIMIT = { max: 30, windowMs: 60_000 };

const sha256 = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

/** Constant-time equality of two strings of any length: equal-length digests through timingSafeEqual. */
function secretsEqual(candidate: string, expected: Buffer): boolean {
  return timingSafeEqual(sha256(candidate), expected);
}

/** Counts failed authentications per client IP in fixed windows; bounded so a spray of IPs cannot grow it. */
class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** ms until `ip` may try again, or 0 when it is not blocked. */
  blockedFor(ip: string, now: number): number {
    const w = this.windows.get(ip);
    if (w === undefined || w.resetAt <= now) return 0;
    return w.count >= this.max ? w.resetAt - now : 0;
  }

  record(ip: string, now: number): void {
    let w = this.windows.get(ip);
    if (w === undefined || w.resetAt <= now) {
      if (this.windows.size >= this.maxKeys) this.sweep(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(ip, w);
    }
    w.count++;
  }

  private sweep(now: number): void {
    for (const [ip, w] of this.windows) if (w.resetAt <= now) this.windows.delete(ip);
    // Still full (a spray within one window): drop the oldest half rather than grow without bound.
    if (this.windows.size >= this.maxKeys) {
      let drop = Math.floor(this.maxKeys / 2);
      for (const ip of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(ip);
      }
    }
  }
}

export interface AuthOptions {
  secret: string;
  /** When set, every delivery must carry a valid {@link SIGNATURE_HEADER}. */
  hmacSecret?: string | undefined;
  failureLimit?: { max: number; windowMs: number } | undefined;
}

export interface Authenticator {
  /**
   * Checks the credentials of a request before its body is read: null when it may go on, else the error to answer
   * (401, or 429 for an IP over the failure limit). Every credential presented must be right, and one must be. A
   * request with the right secret is never throttled, so nobody can lock Olostep out by failing from a shared IP;
   * what stops guessing is the secret's length, not the limiter.
   */
  checkCredentials(request: FastifyRequest): ReceiverError | null;
  /** Checks the raw body's signature when an HMAC secret is set: null when it is valid (or not required). */
  checkSignature(request: FastifyRequest, raw: Buffer): ReceiverError | null;
}

export function createAuthenticator(opts: AuthOptions): Authenticator {
  const secretDigest = sha256(opts.secret);
  const hmacKey = opts.hmacSecret;
  const limit = opts.failureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT;
  const limiter = new FailureLimiter(limit.max, limit.windowMs);

  return {
    checkCredentials(request) {
      const presented: string[] = [];
      const params = request.params as { secret?: string } | undefined;
      if (params?.secret !== undefined) presented.push(params.secret);
      const auth = request.headers.authorization;
      if (auth !== undefined) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
        presented.push(m?.[1] ?? '');
      }
      const token = request.headers[TOKEN_HEADER];
      if (token !== undefined) presented.push(Array.isArray(token) ? token.join(',') : token);
      // Every comparison runs (no early exit), so timing does not tell which credential was wrong.
      let ok = presented.length > 0;
      for (const p of presented) ok = secretsEqual(p, secretDigest) && ok;
      if (ok) return null;
      const now = Date.now();
      const wait = limiter.blockedFor(request.ip, now);
      limiter.record(request.ip, now);
      if (wait > 0) {
        return new ReceiverError(429, 'too_many_failures', 'too many failed authentications; retry later', {
          retryAfterSeconds: Math.ceil(wait / 1000),
        });
      }
      return new ReceiverError(401, 'unauthorized', 'missing or wrong webhook secret');
    },

    checkSignature(request, raw) {
      if (hmacKey === undefined) return null;
      const header = request.headers[SIGNATURE_HEADER];
      const value = Array.isArray(header) ? header[0] : header;
      const match = value === undefined ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(value.trim());
      const expected = createHmac('sha256', hmacKey).update(raw).digest();
      if (match !== null && timingSafeEqual(Buffer.from(match[1] as string, 'hex'), expected)) return null;
      limiter.record(request.ip, Date.now());
      return new ReceiverError(401, 'invalid_signature', `missing or invalid ${SIGNATURE_HEADER} header`);
    },
  };
}
