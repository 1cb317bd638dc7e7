/**
 * Starts the local emulators the integration tests, benchmarks and `npm run emulators` use, each
 * on 127.0.0.1 and a free port, and waits until it answers requests:
 *
 * - kinesis-local (Kinesis, the most faithful: ChildShards, ListShards paging and filters) as a
 *   child process, forced onto the loopback interface by `force-loopback.cjs`;
 * - kinesalite (Kinesis, fast, for volume) and dynalite (DynamoDB) in this process.
 *
 * Resource transitions (CREATING, UPDATING, DELETING) take no time, so waits for ACTIVE return at once.
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL for an SDK client's `endpoint`, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** Stops the emulator and waits until it is gone. Safe to call more than once. */
  stop(): Promise<void>;
}

/** kinesis-local also serves HTTPS (self-signed; HTTP/2 via ALPN). */
export interface RunningKinesisLocal extends RunningEmulator {
  readonly tlsEndpoint: string;
}

/** Options of {@link startKinesisLocal}. */
export interface KinesisLocalOptions {
  /** Give up when the emulator does not answer within this long. Default 30 s. */
  readonly startTimeoutMillis?: number;
  /** Receives each line the emulator prints. Default: dropped (kept only to explain a failed start). */
  readonly log?: (line: string) => void;
  /** Extra environment for the emulator, e.g. `{ SHARD_LIMIT: '200' }`. */
  readonly env?: Readonly<Record<string, string>>;
}

const LOOPBACK = '127.0.0.1';
// Neither in-process emulator ships type declarations; each exports a function returning an http.Server.
const load = createRequire(__filename);
const KINESIS_LOCAL_INSTANT_DURATIONS = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
  'MERGE_SHARDS_DURATION',
  'SPLIT_SHARD_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
] as const;
// Its graceful shutdown waits for clients to close kept-alive connections; nothing in memory is worth that wait.
const STOP_GRACE_MILLIS = 1_000;
const PROBE_INTERVAL_MILLIS = 50;
const START_ATTEMPTS = 3;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const delay = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** Resolves when anything answers HTTP at `endpoint` (an error status is an answer too). */
function answersHttp(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      endpoint,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'Kinesis_20131202.ListStreams',
          // A kept-alive probe connection would make the emulator's graceful shutdown wait for it.
          Connection: 'close',
        },
        agent: false,
        timeout: 1_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(true));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end('{}');
  });
}

/** Waits for a child process to exit; resolves at once when it already has. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MILLIS);
  await gone;
  clearTimeout(timer);
}

/** Keeps the last lines a child printed, to explain why it did not start. */
function tailOf(child: ChildProcess, log: ((line: string) => void) | undefined): () => string {
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line === '') continue;
      log?.(line);
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => lines.join('\n');
}

async function spawnKinesisLocal(options: KinesisLocalOptions): Promise<RunningKinesisLocal | { retry: string }> {
  const main = load.resolve('kinesis-local/main.js');
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    // It reads its certificate even when only plain HTTP is used, relative to the working directory by default.
    KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
    // At INFO and WARN it prints a stack trace for every 4xx answer.
    LOG_LEVEL: 'ERROR',
    ...Object.fromEntries(KINESIS_LOCAL_INSTANT_DURATIONS.map((name) => [name, '0ms'])),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--require', join(__dirname, 'force-loopback.cjs'), main], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = tailOf(child, options.log);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };

  const endpoint = `http://${LOOPBACK}:${plainPort}`;
  const deadline = Date.now() + (options.startTimeoutMillis ?? 30_000);
  let exitedEarly = false;
  void exited(child).then(() => {
    exitedEarly = true;
  });
  while (!exitedEarly && Date.now() < deadline) {
    if (await answersHttp(endpoint)) {
      return { endpoint, tlsEndpoint: `https://${LOOPBACK}:${tlsPort}`, stop };
    }
    await delay(PROBE_INTERVAL_MILLIS);
  }
  await stop();
  const output = tail();
  if (exitedEarly && /EADDRINUSE/.test(output)) return { retry: output };
  throw new Error(
    `kinesis-local did not answer on ${endpoint} ${exitedEarly ? `(exit code ${child.exitCode})` : 'in time'}; its last output:\n${output}`,
  );
}

/**
 * Starts kinesis-local (the Kinesis emulator of choice) as a child process on 127.0.0.1.
 * Its plain-HTTP endpoint takes HTTP/1.1 and h2c; use HTTP/1.1 clients (see the README of
 * `localstack/`: its HTTP/2 answers are occasionally cut short).
 */
export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<RunningKinesisLocal> {
  let lastOutput = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const started = await spawnKinesisLocal(options);
    if (!('retry' in started)) return started;
    lastOutput = started.retry;
  }
  throw new Error(`kinesis-local found no free port in ${START_ATTEMPTS} attempts; its last output:\n${lastOutput}`);
}

/** Listens on a free port of 127.0.0.1 and answers with the emulator's endpoint and stop. */
function listenOnLoopback(server: Server): Promise<RunningEmulator> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.removeListener('error', reject);
      const { port } = server.address() as AddressInfo;
      let stopped: Promise<void> | undefined;
      const stop = () => {
        stopped ??= new Promise<void>((done, fail) => {
          server.close((error?: Error | null) => (error == null ? done() : fail(error)));
          // Keep-alive clients would otherwise hold the close open until they time out.
          server.closeAllConnections();
        });
        return stopped;
      };
      resolve({ endpoint: `http://${LOOPBACK}:${port}`, stop });
    });
  });
}

type EmulatorFactory = (options: Record<string, unknown>) => Server;

/** Options of {@link startKinesalite}: how long streams stay CREATING, DELETING and UPDATING (default 0). */
export interface KinesaliteOptions {
  readonly createStreamMs?: number;
  readonly deleteStreamMs?: number;
  readonly updateStreamMs?: number;
  /** Most shards the emulated account may hold. Default 1000. */
  readonly shardLimit?: number;
}

/** Starts kinesalite in this process on 127.0.0.1. It speaks HTTP/1.1 only: give clients a `NodeHttpHandler`. */
export function startKinesalite(options: KinesaliteOptions = {}): Promise<RunningEmulator> {
  const kinesalite = load('kinesalite') as EmulatorFactory;
  return listenOnLoopback(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000, ...options }));
}

/** Options of {@link startDynalite}: how long tables stay CREATING, DELETING and UPDATING (default 0). */
export interface DynaliteOptions {
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}

/** Starts dynalite (DynamoDB) in this process on 127.0.0.1. */
export function startDynalite(options: DynaliteOptions = {}): Promise<RunningEmulator> {
  const dynalite = load('dynalite') as EmulatorFactory;
  return listenOnLoopback(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...options }));
}
