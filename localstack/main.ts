/**
 * `npm run emulators`: starts kinesis-local and dynalite (and kinesalite with `--kinesalite`) on
 * 127.0.0.1, prints their endpoints and the variables that point the AWS SDK at them, and runs
 * until SIGINT or SIGTERM, then stops them all.
 * @packageDocumentation
 */
import { startDynalite, startKinesalite, startKinesisLocal, type RunningEmulator } from './emulators';

const USAGE = `usage: emulators [--kinesalite]
  Starts kinesis-local (Kinesis) and dynalite (DynamoDB) on 127.0.0.1 until interrupted.
  --kinesalite   also start kinesalite (a faster Kinesis emulator, HTTP/1.1 only)`;

async function main(args: readonly string[]): Promise<void> {
  const unknown = args.filter((arg) => arg !== '--kinesalite');
  if (unknown.length > 0 || args.includes('--help')) {
    process.stderr.write(`${unknown.length > 0 ? `unknown argument: ${unknown.join(' ')}\n` : ''}${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const running: RunningEmulator[] = [];
  const stopAll = () => Promise.allSettled(running.map((emulator) => emulator.stop()));
  try {
    const kinesisLocal = await startKinesisLocal({ log: (line) => process.stderr.write(`[kinesis-local] ${line}\n`) });
    running.push(kinesisLocal);
    const dynalite = await startDynalite();
    running.push(dynalite);
    const kinesalite = args.includes('--kinesalite') ? await startKinesalite() : undefined;
    if (kinesalite !== undefined) running.push(kinesalite);

    process.stdout.write(
      [
        `kinesis-local  ${kinesisLocal.endpoint}  (https: ${kinesisLocal.tlsEndpoint})`,
        `dynalite       ${dynalite.endpoint}`,
        ...(kinesalite === undefined ? [] : [`kinesalite     ${kinesalite.endpoint}  (HTTP/1.1 only)`]),
        '',
        'export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x',
        `export AWS_ENDPOINT_URL_KINESIS=${kinesisLocal.endpoint}`,
        `export AWS_ENDPOINT_URL_DYNAMODB=${dynalite.endpoint}`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('stopping...\n');
  await stopAll();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
