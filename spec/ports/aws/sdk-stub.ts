/**
 * Helpers for unit tests of the AWS ports: a client whose `send` is a sinon stub answering by
 * command class, SDK-shaped service exceptions, and a driver that runs a port call to its end
 * on a virtual clock while the stub's promises settle.
 */
import type { Observable, VirtualTimeScheduler } from 'rxjs';
import * as sinon from 'sinon';

/** The shape of an SDK v3 service exception as the SDK builds it from an error response. */
export function serviceException(name: string, httpStatusCode: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'test-request', attempts: 1, totalRetryDelay: 0 },
  });
}

/** A Node network failure: no response, no `$fault`, the reason in `code`. */
export function networkError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { code });
}

type CommandClass = abstract new (...args: never[]) => { readonly input: unknown };
type Handler = (input: never, options: { abortSignal?: AbortSignal }) => unknown;

/**
 * A stand-in SDK client. `on(CommandClass, handler)` answers each command of that class with the
 * handler's value (a promise, a value, or a thrown error, which becomes a rejection).
 */
export class StubClient {
  readonly send = sinon.stub<[command: { input: unknown }, options?: { abortSignal?: AbortSignal }], Promise<unknown>>();
  private readonly handlers = new Map<CommandClass, Handler>();

  constructor() {
    this.send.callsFake(async (command, options = {}) => {
      for (const [type, handler] of this.handlers) {
        if (command instanceof type) return handler(command.input as never, options);
      }
      throw new Error(`unexpected command ${command.constructor.name}`);
    });
  }

  on<C extends CommandClass>(type: C, handler: (input: InstanceType<C>['input'], options: { abortSignal?: AbortSignal }) => unknown): this {
    this.handlers.set(type, handler as Handler);
    return this;
  }

  /** Inputs of every call of one command class, in order. */
  inputsOf<C extends CommandClass>(type: C): Array<InstanceType<C>['input']> {
    return this.send
      .getCalls()
      .map((call) => call.args[0])
      .filter((command) => command instanceof type)
      .map((command) => command.input as InstanceType<C>['input']);
  }
}

/** Answers in turn, repeating the last answer once they run out. */
export function inTurn(...answers: Array<() => unknown>): () => unknown {
  let next = 0;
  return () => answers[Math.min(next++, answers.length - 1)]!();
}

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What an Observable did when driven to its end. */
export interface Outcome<T> {
  readonly values: T[];
  readonly error?: unknown;
  /** Virtual milliseconds that passed. */
  readonly elapsed: number;
}

/**
 * Subscribes and alternates between settling promises and moving the virtual clock to its next
 * timer, until the Observable ends. No real time passes: the clock only moves when nothing else
 * can happen.
 */
export async function drive<T>(observable$: Observable<T>, scheduler: VirtualTimeScheduler): Promise<Outcome<T>> {
  const values: T[] = [];
  let ended = false;
  let error: unknown;
  const start = scheduler.now();
  const subscription = observable$.subscribe({
    next: (value) => values.push(value),
    error: (e: unknown) => {
      error = e;
      ended = true;
    },
    complete: () => {
      ended = true;
    },
  });
  for (let turn = 0; turn < 1_000 && !ended; turn++) {
    await settle();
    // Only as far as the next timer: a request sent by that timer must be answered before later timers fire.
    const next = scheduler.actions[0];
    if (next === undefined || ended) continue;
    scheduler.maxFrames = next.delay;
    scheduler.flush();
  }
  subscription.unsubscribe();
  if (!ended) throw new Error('the Observable did not end');
  return error === undefined ? { values, elapsed: scheduler.now() - start } : { values, error, elapsed: scheduler.now() - start };
}

/** A promise that never settles: a request still in flight. */
export function pending<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
