/**
 * The emulator harness itself: loopback-only binding, readiness, and a clean stop.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDynalite, startKinesalite, startKinesisLocal, type RunningEmulator } from '../../localstack/emulators';
import { kinesisLocal } from '../support/emulators';

const run = promisify(execFile);

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** Posts an empty Kinesis request; any HTTP answer means the emulator is serving. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { method: 'POST', body: '{}', headers: { connection: 'close' } });
    return true;
  } catch {
    return false;
  }
}

describe('localstack emulators', function () {
  describe('force-loopback.cjs', function () {
    it('moves every wildcard or absent listen host to 127.0.0.1 and leaves explicit hosts and pipes alone', async function () {
      const script = `
        const net = require('node:net'), http = require('node:http'), path = require('node:path'), os = require('node:os');
        const calls = [
          (s, cb) => s.listen(cb),
          (s, cb) => s.listen(0, cb),
          (s, cb) => s.listen('0', cb),
          (s, cb) => s.listen(0, '0.0.0.0', cb),
          (s, cb) => s.listen(0, '::', 511, cb),
          (s, cb) => s.listen({ port: 0 }, cb),
          (s, cb) => s.listen({ port: 0, host: '0.0.0.0' }, cb),
          (s, cb) => s.listen(0, '127.0.0.1', cb),
        ];
        (async () => {
          const hosts = [];
          for (const [i, call] of calls.entries()) {
            const server = i % 2 === 0 ? net.createServer() : http.createServer();
            await new Promise((resolve) => call(server, resolve));
            hosts.push(server.address().address);
            await new Promise((resolve) => server.close(resolve));
          }
          const pipe = path.join(os.tmpdir(), 'force-loopback-' + process.pid + '.sock');
          const server = net.createServer();
          await new Promise((resolve) => server.listen(pipe, resolve));
          hosts.push(server.address());
          await new Promise((resolve) => server.close(resolve));
          process.stdout.write(JSON.stringify(hosts));
        })();`;
      const preload = join(__dirname, '..', '..', 'localstack', 'force-loopback.cjs');
      const { stdout } = await run(process.execPath, ['--require', preload, '-e', script]);
      const hosts = JSON.parse(stdout) as string[];
      expect(hosts.slice(0, -1)).to.deep.equal(Array.from({ length: 8 }, () => '127.0.0.1'));
      expect(hosts[hosts.length - 1]).to.match(/force-loopback-\d+\.sock$/);
    });
  });

  describe('startKinesisLocal', function () {
    it('serves on 127.0.0.1 only', async function () {
      const { endpoint } = await kinesisLocal();
      const port = portOf(endpoint);
      expect(await accepts('127.0.0.1', port)).to.equal(true);
      // Linux routes all of 127/8 to the loopback device: a wildcard bind would accept here too.
      expect(await accepts('127.0.0.2', port)).to.equal(false);
    });

    it('stops the child process, and may be stopped twice', async function () {
      const emulator = await startKinesisLocal();
      expect(await answers(emulator.endpoint)).to.equal(true);
      const started = Date.now();
      await emulator.stop();
      expect(Date.now() - started, 'stop time (ms)').to.be.below(3_000);
      expect(await accepts('127.0.0.1', portOf(emulator.endpoint))).to.equal(false);
      expect(await accepts('127.0.0.1', portOf(emulator.tlsEndpoint))).to.equal(false);
      await emulator.stop();
    });

    it('reports why the emulator did not start', async function () {
      const error = await startKinesisLocal({ env: { KINESIS_MOCK_CERT_PATH: join(__dirname, 'no-such-cert.json') } }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.contain('kinesis-local did not answer').and.to.contain('no-such-cert.json');
    });
  });

  for (const [name, start] of [
    ['startKinesalite', () => startKinesalite()],
    ['startDynalite', () => startDynalite()],
  ] as Array<[string, () => Promise<RunningEmulator>]>) {
    describe(name, function () {
      it('serves on 127.0.0.1 only, and stops even while a client keeps its connection alive', async function () {
        const emulator = await start();
        const port = portOf(emulator.endpoint);
        expect(await accepts('127.0.0.2', port)).to.equal(false);
        const kept = connect({ host: '127.0.0.1', port });
        await new Promise((resolve) => kept.once('connect', resolve));
        await emulator.stop();
        await emulator.stop();
        expect(await accepts('127.0.0.1', port)).to.equal(false);
        kept.destroy();
      });
    });
  }
});
