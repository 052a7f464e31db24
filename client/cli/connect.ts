// The CLI's Temporal connection: TEMPORAL_* environment (and envconfig profile) with --address/--namespace on top.
import { Client, Connection } from '@temporalio/client';
import { loadTemporalConnectConfig, type TemporalConnectConfig } from '../temporal-connection';
import { CliExit, EXIT, oneLine } from './exit-codes';

interface ConnectOptions {
  address?: string;
  namespace?: string;
  /** How long to wait for Temporal to answer at all. */
  connectTimeoutMs: number;
}

export interface Connected {
  client: Client;
  connection: Connection;
  config: TemporalConnectConfig;
}

export async function connectClient(opts: ConnectOptions, env: NodeJS.ProcessEnv = process.env): Promise<Connected> {
  const config = loadTemporalConnectConfig(env, {
    ...(opts.address !== undefined ? { address: opts.address } : {}),
    ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
  });
  const { tls, apiKey, metadata } = config.connectionOptions;
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.address,
      connectTimeout: opts.connectTimeoutMs,
      ...(tls !== undefined ? { tls } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
    });
  } catch (err) {
    const why = oneLine(err instanceof Error ? err.message : String(err), 200);
    throw new CliExit(EXIT.unavailable, `cannot reach Temporal at ${config.address}: ${why}`, { cause: err });
  }
  return { client: new Client({ connection, namespace: config.namespace }), connection, config };
}
