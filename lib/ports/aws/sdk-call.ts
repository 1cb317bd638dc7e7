/**
 * How every AWS SDK call becomes an Observable: cold, one request per subscription (so `retry`
 * re-sends it), and cancelled on the wire when the subscriber leaves before the answer arrives.
 * @packageDocumentation
 */
import { defer, finalize, from, type Observable } from 'rxjs';

/**
 * Wraps one SDK request. `invoke` receives the abort signal to hand to `client.send`.
 * @internal
 */
export function fromSdkCall<T>(invoke: (abortSignal: AbortSignal) => Promise<T>): Observable<T> {
  return defer(() => {
    const controller = new AbortController();
    let settled = false;
    const response = invoke(controller.signal).finally(() => {
      settled = true;
    });
    // Aborting a finished request could tear down a pooled keep-alive socket, so only abort in flight.
    return from(response).pipe(
      finalize(() => {
        if (!settled) controller.abort();
      }),
    );
  });
}
