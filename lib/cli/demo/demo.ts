/**
 * `reactive-kinesis demo`: the library's main job, end to end, on whatever Kinesis and DynamoDB the
 * flags or the environment point at (`npm start` starts local emulators for it).
 * @packageDocumentation
 */
import type { Command } from '../command';
import { DEMO_FLAGS, demoOptionsOf } from './demo-options';
import { runDemo } from './demo-run';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'produce events to a fresh stream and consume them with worker processes; report losses',
  synopsis: [
    'usage: reactive-kinesis demo [options]',
    '',
    'Creates a stream, starts worker processes that consume it with consume$ and share one lease',
    'table, produces --events events through produce() (KPL aggregation), and shows progress every',
    'second. When every event has been consumed it stops the workers gracefully and reports: produced,',
    'consumed, distinct, duplicates, lost, records/s, lease owners, and with --kill-worker how long',
    'the survivors took to take over the shards of the worker killed halfway with SIGKILL.',
    'Exit code 0 when nothing was lost, 1 otherwise, 130 when interrupted.',
  ].join('\n'),
  flags: DEMO_FLAGS,
  run: (parsed, context) => runDemo(demoOptionsOf(parsed), context),
};
