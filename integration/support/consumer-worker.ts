/**
 * A consumer in a process of its own, for tests that kill it. It reads the `CONSUMER_WORKER`
 * environment variable (JSON: `config`, a `kinesis` configuration with a consumer section named
 * `consumer`; `kinesisEndpoint`; `dynamoEndpoint`), consumes with `consume$`, commits each event
 * and prints it on stdout as one JSON line `{ "text", "shardId", "sequenceNumber" }`.
 */
import { consumerConf } from '../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { consume$ } from '../../lib/consumer/consume';
import { dynamoDbClient, kinesisClient } from '../../lib/ports/aws/clients';

interface WorkerSetup {
  readonly config: unknown;
  readonly kinesisEndpoint: string;
  readonly dynamoEndpoint: string;
}

const setup = JSON.parse(process.env['CONSUMER_WORKER'] ?? 'null') as WorkerSetup | null;
if (setup === null) throw new Error('CONSUMER_WORKER is not set');

const region = 'us-east-1';
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const kinesis = kinesisClient({ region, credentials, endpoint: setup.kinesisEndpoint, http1: true });
const leases = dynamoDbClient({ region, credentials, endpoint: setup.dynamoEndpoint });

consume$(consumerConf(decodeKinesisConfig(setup.config), 'consumer'), { kinesis, leases }).subscribe({
  next: (event) => {
    event.commit();
    process.stdout.write(`${JSON.stringify({ text: event.payload.payloadAsString(), shardId: event.shardId, sequenceNumber: event.sequenceNumber.toString() })}\n`);
  },
  error: (error: unknown) => {
    process.stderr.write(`consumer-worker failed: ${String(error)}\n`);
    process.exit(1);
  },
});
