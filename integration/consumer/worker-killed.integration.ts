/**
 * A worker process killed with SIGKILL mid-stream: it neither checkpoints nor releases anything
 * more, nor answers a handoff, its leases expire after the failover time, and another worker takes
 * every shard over from the last checkpoints. Every record is consumed at least once.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RunningConsumer, TestStream, coversAll, texts, waitFor } from './consumer-harness';

interface Reported {
  readonly text: string;
  readonly shardId: string;
}

/** Runs the worker script in a child process; what it reports is pushed to `reported`. */
function spawnWorker(stream: TestStream, workerId: string, reported: Reported[]): ChildProcess {
  const setup = { config: stream.config(workerId), kinesisEndpoint: stream.env.kinesisEndpoint, dynamoEndpoint: stream.env.dynamoEndpoint };
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), join(__dirname, '..', 'support', 'consumer-worker.ts')], {
    env: { ...process.env, CONSUMER_WORKER: JSON.stringify(setup), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => reported.push(JSON.parse(line) as Reported));
  return child;
}

describe('consume$ when a worker process is killed', function () {
  this.timeout(30_000);
  let stream: TestStream | undefined;
  let child: ChildProcess | undefined;
  let heir: RunningConsumer | undefined;

  afterEach(async function () {
    child?.kill('SIGKILL');
    await heir?.stop();
    await stream?.dispose();
  });

  it('loses nothing: another worker takes every shard after the failover and reads from the checkpoints', async function () {
    stream = await TestStream.create(4);
    const early = texts('early', 400);
    await stream.put(early);
    const reported: Reported[] = [];
    child = spawnWorker(stream, 'doomed', reported);
    await waitFor('the worker process to read the first records', () => coversAll(reported.map((r) => r.text), early), 20_000);
    expect(await stream.owners()).to.deep.equal({ doomed: 4 });

    const middle = texts('middle', 400);
    await stream.put(middle);
    await waitFor('the worker process to read on', () => reported.some((r) => r.text.startsWith('middle-')));
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const late = texts('late', 400);
    await stream.put(late);

    const startedAt = Date.now();
    heir = new RunningConsumer('heir', stream.conf('heir'), stream.env);
    const all = [...early, ...middle, ...late];
    await waitFor('every record', () => coversAll([...reported.map((r) => r.text), ...heir!.texts()], all), 15_000);

    expect(await stream.owners()).to.deep.equal({ heir: 4 });
    // The heir asks for its fair share (2 of 4) at once, not knowing the other worker is dead.
    // Nobody answers, so it reads no shard before the leases have expired, a failover time after
    // it first saw them: those it asked for too.
    const firstDeliveries = heir.shardsRead().map((shardId) => Math.min(...heir!.deliveries.filter((d) => d.shardId === shardId).map((d) => d.at)) - startedAt);
    expect(Math.min(...firstDeliveries), 'the first shard taken over').to.be.at.least(1500);
    expect((await stream.leases()).filter((l) => l.checkpointOwner !== undefined), 'no handoff left pending').to.deep.equal([]);
    expect(heir.shardsRead()).to.deep.equal(await stream.shardIds());
    // Killed within moments of reading them, before their checkpoint: they come again.
    expect(heir.texts().filter((t) => t.startsWith('middle-')), 'redelivered after the kill').not.to.deep.equal([]);
  });
});
