/**
 * `npm start`: the command line's `demo` on local emulators. Unless the flags or the environment
 * already point at an endpoint (or `--aws` asks for real AWS), it starts kinesis-local (Kinesis)
 * and dynalite (DynamoDB) on 127.0.0.1, points the AWS SDK at them through its own environment
 * variables (which the demo's worker processes inherit), runs the demo in this process with the
 * remaining arguments, stops the emulators whatever happens, and exits with the demo's code.
 *
 *   npm start -- [--aws] [demo options]     e.g. npm start -- --kill-worker --events 20000
 * @packageDocumentation
 */
import { DEMO_FLAGS, demoOptionsOf } from '../lib/cli/demo/demo-options';
import { ExitCode, processIo } from '../lib/cli/command';
import { UsageError, parseFlags } from '../lib/cli/flags';
import { interruptSignal, runCli } from '../lib/cli/main';
import { startDynalite, startKinesisLocal, type RunningEmulator } from './emulators';

const USAGE = [
  'usage: npm start -- [--aws] [demo options]',
  '',
  'Runs `reactive-kinesis demo` on kinesis-local and dynalite, started on 127.0.0.1 for the run,',
  'unless --endpoint-kinesis / --endpoint-dynamodb or AWS_ENDPOINT_URL(_KINESIS|_DYNAMODB) name',
  'an endpoint for a service. --aws: use real AWS (the SDK default credentials and region) and',
  'start nothing; this creates a 4-shard stream and a lease table, and deletes them afterwards.',
  '',
].join('\n');

/** Which emulators to start for `args` in the environment `env`. */
function emulatorsNeeded(args: readonly string[], env: NodeJS.ProcessEnv): { readonly kinesis: boolean; readonly dynamoDb: boolean } {
  if (args.includes('--aws')) return { kinesis: false, dynamoDb: false };
  const { aws } = demoOptionsOf(parseFlags('demo', args, DEMO_FLAGS));
  const given = (flag: string | undefined, variable: string) => flag !== undefined || Boolean(env[variable]) || Boolean(env['AWS_ENDPOINT_URL']);
  return { kinesis: !given(aws.kinesisEndpoint, 'AWS_ENDPOINT_URL_KINESIS'), dynamoDb: !given(aws.dynamoDbEndpoint, 'AWS_ENDPOINT_URL_DYNAMODB') };
}

async function main(args: readonly string[]): Promise<number> {
  const demoArgs = args.filter((arg) => arg !== '--aws');
  if (demoArgs.includes('--help') || demoArgs.includes('-h')) {
    processIo.out(USAGE);
    return runCli(['demo', '--help']);
  }
  let needed: ReturnType<typeof emulatorsNeeded>;
  try {
    needed = emulatorsNeeded(args, process.env);
  } catch (error) {
    // The demo explains bad arguments with its usage.
    if (error instanceof UsageError) return runCli(['demo', ...demoArgs]);
    throw error;
  }

  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const interrupt = interruptSignal();
  const running: RunningEmulator[] = [];
  try {
    if (needed.kinesis) {
      const kinesisLocal = await startKinesisLocal();
      running.push(kinesisLocal);
      process.env['AWS_ENDPOINT_URL_KINESIS'] = kinesisLocal.endpoint;
      processIo.err(`kinesis-local (Kinesis) on ${kinesisLocal.endpoint}`);
    }
    if (needed.dynamoDb) {
      const dynalite = await startDynalite();
      running.push(dynalite);
      process.env['AWS_ENDPOINT_URL_DYNAMODB'] = dynalite.endpoint;
      processIo.err(`dynalite (DynamoDB) on ${dynalite.endpoint}`);
    }
    if (running.length > 0) {
      // Emulators take any credentials and region; these keep the SDK from looking further.
      process.env['AWS_REGION'] ??= 'us-east-1';
      process.env['AWS_ACCESS_KEY_ID'] ??= 'x';
      process.env['AWS_SECRET_ACCESS_KEY'] ??= 'x';
    }
    if (interrupt.signal.aborted) return ExitCode.interrupted;
    return await runCli(['demo', ...demoArgs], processIo, interrupt.signal);
  } finally {
    await Promise.allSettled(running.map((emulator) => emulator.stop()));
    interrupt.dispose();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    processIo.err(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = ExitCode.failure;
  },
);
