// The receiver's error answers: a stable `error` code, a message that never echoes a secret, and for some a
// Retry-After or the payload's issues. Errors raised by fastify itself (body too large, wrong media type…) are
// mapped onto the same codes.

/** An error the receiver answers with as-is. */
export class ReceiverError extends Error {
  override readonly name = 'ReceiverError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: { retryAfterSeconds?: number; issues?: { path: string; message: string }[] } = {},
  ) {
    super(message);
  }
}

/** How an error is answered; `unexpected` when it is none the receiver knows (logged as an error, answered 500). */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  extra: ReceiverError['extra'];
  /** The body was not read to its end: the connection must not be reused. */
  closeConnection: boolean;
  unexpected: boolean;
}

/** The answer to `err`, thrown by the receiver or by fastify while reading a body of at most `bodyLimit` bytes. */
export function errorAnswer(err: Error & { statusCode?: number; code?: string }, bodyLimit: number): ErrorAnswer {
  const answer = (status: number, code: string, message: string): ErrorAnswer => ({
    status,
    code,
    message,
    extra: {},
    closeConnection: false,
    unexpected: false,
  });
  if (err instanceof ReceiverError) return { ...answer(err.statusCode, err.code, err.message), extra: err.extra };
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { ...answer(413, 'payload_too_large', `the body exceeds ${bodyLimit} bytes`), closeConnection: true };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return answer(415, 'unsupported_media_type', 'send the event as application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return answer(400, 'invalid_content_length', 'Content-Length does not match the body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return answer(400, 'invalid_json', 'the body is empty');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return answer(err.statusCode, 'bad_request', 'the request could not be read');
  }
  return { ...answer(500, 'internal_error', 'unexpected error; the delivery will be retried'), unexpected: true };
}

/** An error's message for a log line, cut to 300 characters. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 300) : String(err);
}
