import { expect } from 'chai';
import { lastValueFrom, retry } from 'rxjs';
import { fromSdkCall } from '../../../lib/ports/aws/sdk-call';
import { pending } from './sdk-stub';

describe('fromSdkCall', function () {
  it('sends nothing until subscribed, then once per subscription', async function () {
    let sent = 0;
    const call$ = fromSdkCall(() => Promise.resolve(++sent));
    expect(sent).to.equal(0);
    expect(await lastValueFrom(call$)).to.equal(1);
    expect(await lastValueFrom(call$)).to.equal(2);
  });

  it('sends again when retried after a rejection', async function () {
    let sent = 0;
    const call$ = fromSdkCall(() => (++sent < 3 ? Promise.reject(new Error(`attempt ${sent}`)) : Promise.resolve('ok')));
    expect(await lastValueFrom(call$.pipe(retry(2)))).to.equal('ok');
    expect(sent).to.equal(3);
  });

  it('aborts a request still in flight when unsubscribed, and not one that was answered', async function () {
    const signals: AbortSignal[] = [];
    const inFlight = fromSdkCall((signal) => {
      signals.push(signal);
      return pending<string>();
    }).subscribe();
    inFlight.unsubscribe();
    await lastValueFrom(
      fromSdkCall((signal) => {
        signals.push(signal);
        return Promise.resolve('answered');
      }),
    );
    expect(signals.map((s) => s.aborted)).to.deep.equal([true, false]);
  });
});
