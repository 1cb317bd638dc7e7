/** A fresh stream on an emulator (kinesis-local unless told) for every test of a suite, deleted after it. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { lastValueFrom } from 'rxjs';
import type { RunningEmulator } from '../../localstack/emulators';
import { awsKinesisPort } from '../../lib/ports/aws/kinesis-adapter';
import type { KinesisAdminPort, KinesisPort } from '../../lib/ports/kinesis-port';
import { kinesisLocal, testKinesisClient, uniqueName } from '../support/emulators';

/** What the current test works with; filled in by the hooks `freshStreamPerTest` installs. */
export interface StreamFixture {
  client: KinesisClient;
  port: KinesisPort & KinesisAdminPort;
  stream: string;
}

/**
 * Installs beforeEach/afterEach hooks in the calling `describe`: a new `shardCount`-shard stream per
 * test, on the emulator `emulator` starts (shared by the run).
 */
export function freshStreamPerTest(shardCount: number, emulator: () => Promise<RunningEmulator> = kinesisLocal): StreamFixture {
  const fixture = {} as StreamFixture;
  beforeEach(async function () {
    fixture.client ??= testKinesisClient((await emulator()).endpoint);
    fixture.port = awsKinesisPort(fixture.client);
    fixture.stream = uniqueName('producer');
    await lastValueFrom(fixture.port.createStream(fixture.stream, shardCount), { defaultValue: undefined });
  });
  afterEach(async function () {
    await lastValueFrom(fixture.port.deleteStream(fixture.stream), { defaultValue: undefined });
  });
  return fixture;
}
