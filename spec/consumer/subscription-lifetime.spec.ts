/**
 * SubscriptionLifetime must release the ports once, only after the subscription has ended and
 * every shard and every detached final write is done, in whatever order those end.
 */
import { expect } from 'chai';
import { NEVER, Subject, VirtualTimeScheduler, timer } from 'rxjs';
import { SubscriptionLifetime } from '../../lib/consumer/subscription-lifetime';

describe('SubscriptionLifetime', () => {
  it('releases at the end when nothing is held', () => {
    let released = 0;
    const lifetime = new SubscriptionLifetime(() => (released += 1));
    expect(released).to.equal(0);
    lifetime.end();
    lifetime.end();
    expect(released).to.equal(1);
  });

  it('waits for held shards, released when they end, whichever comes first', () => {
    let released = 0;
    const lifetime = new SubscriptionLifetime(() => (released += 1));
    const shard = new Subject<number>();
    const held$ = lifetime.holdWhile(shard);
    const subscription = held$.subscribe();
    lifetime.end();
    expect(released, 'a shard is still subscribed').to.equal(0);
    subscription.unsubscribe();
    expect(released).to.equal(1);
  });

  it('counts a shard only while it is subscribed', () => {
    let released = 0;
    const lifetime = new SubscriptionLifetime(() => (released += 1));
    lifetime.holdWhile(NEVER); // never subscribed
    lifetime.end();
    expect(released).to.equal(1);
  });

  it('waits for detached final writes that outlive their shard', () => {
    const scheduler = new VirtualTimeScheduler();
    let released = 0;
    const lifetime = new SubscriptionLifetime(() => (released += 1));
    const subscription = lifetime.holdWhile(NEVER).subscribe();
    lifetime.runDetached(timer(100, scheduler));
    subscription.unsubscribe();
    lifetime.end();
    expect(released, 'the final write is under way').to.equal(0);
    scheduler.flush();
    expect(released).to.equal(1);
  });
});
