// A gRPC proxy in front of a real Temporal server that refuses chosen methods the way a managed service refuses an
// identity without the right (PERMISSION_DENIED, a trailers-only answer) and forwards everything else unchanged.
// Temporal Cloud answers OperatorService/AddSearchAttributes so for namespace API keys; a dev server lets anyone
// register, so this is how a test gets that refusal from a real server.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface RefusingProxy {
  /** host:port to give a client or worker instead of the server's. */
  address: string;
  /** The refused calls, by gRPC path, in order. */
  refused: string[];
  close(): Promise<void>;
}

const GRPC_PERMISSION_DENIED = 7;

export async function startRefusingProxy(
  target: string,
  refuse: readonly string[],
  message = 'Request unauthorized.',
): Promise<RefusingProxy> {
  const upstream = http2.connect(`http://${target}`);
  upstream.on('error', () => undefined);
  const refused: string[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path']);
    if (refuse.includes(path)) {
      refused.push(path);
      stream.resume();
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(GRPC_PERMISSION_DENIED),
          'grpc-message': encodeURIComponent(message),
        },
        { endStream: true },
      );
      return;
    }
    const out: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) {
      if (k === ':authority' || typeof k !== 'string') continue;
      out[k] = v;
    }
    out[':authority'] = target;
    const req = upstream.request(out);
    req.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => {
      if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.pipe(req);
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = t;
    });
    req.on('response', (h) => {
      const respHeaders: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') || k === ':status') respHeaders[k] = v;
      if (h['grpc-status'] !== undefined) {
        // Trailers-only answer (an error): headers and end of stream at once.
        stream.respond(respHeaders, { endStream: true });
        return;
      }
      stream.respond(respHeaders, { waitForTrailers: true });
      stream.on('wantTrailers', () => {
        const t: http2.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(trailers ?? { 'grpc-status': '0' })) if (!k.startsWith(':')) t[k] = v;
        stream.sendTrailers(t);
      });
      req.pipe(stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    refused,
    close: async () => {
      upstream.close();
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
