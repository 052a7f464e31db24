// The benchmarks' production server: Temporal on PostgreSQL as docker-compose.yml runs it (kit/stack), with its
// namespace and search attributes from the compose one-shots, and nothing else of the stack (the benchmark brings
// its own worker and simulator). Its CPU is the Temporal server's and every PostgreSQL process's together.
import { startNativeStack } from '../../kit/stack/native-stack';
import { OutputLog } from '../../kit/reliability/processes';

export interface BenchServer {
  kind: 'dev' | 'native';
  address: string;
  /** Every process of the server (for the dev server one; natively temporal-server and PostgreSQL's). */
  pids(): number[];
  /** How it was started (for the report). */
  args: string[];
  stop(): Promise<void>;
}

export async function startNativeServer(): Promise<BenchServer> {
  const log = new OutputLog();
  const stack = await startNativeStack({ only: ['temporal-setup'], log });
  const server = stack.plan.processes.find((p) => p.service === 'temporal')!;
  return {
    kind: 'native',
    address: stack.temporalAddress,
    pids: () => stack.pids('server'),
    args: [
      ...server.argv.slice(1),
      `NUM_HISTORY_SHARDS=${server.env.NUM_HISTORY_SHARDS}`,
      `DB=${server.env.DB}`,
      `DYNAMIC_CONFIG_FILE_PATH=${server.env.DYNAMIC_CONFIG_FILE_PATH}`,
    ],
    stop: () => stack.stop(),
  };
}
