import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaderElection } from '../../../src/core/tabs/election.js';
import { readTabMessage } from '../../../src/core/tabs/messages.js';
import { LockBroker } from './fakes.js';

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function candidate(broker: LockBroker) {
  const roles: boolean[] = [];
  const locks = broker.tab();
  const election = new LeaderElection(locks, 'group', (leader) => roles.push(leader));
  return { election, roles, locks };
}

describe('LeaderElection', () => {
  it('the first tab leads at once, the next knows it follows; a release hands the lead to the next in line', async () => {
    const broker = new LockBroker();
    const [a, b, c] = [candidate(broker), candidate(broker), candidate(broker)];
    a.election.start();
    await tick();
    b.election.start();
    c.election.start();
    await tick();
    expect([a.roles, b.roles, c.roles]).toEqual([[true], [false], [false]]);
    a.election.stop();
    await tick();
    expect(a.roles).toEqual([true, false]);
    expect(b.election.leader).toBe(true);
    expect(c.election.leader).toBe(false);
  });

  it('a crashed leader (locks released, no goodbye) is replaced', async () => {
    const broker = new LockBroker();
    const [a, b] = [candidate(broker), candidate(broker)];
    a.election.start();
    await tick();
    b.election.start();
    await tick();
    broker.crash(a.locks);
    await tick();
    expect(b.roles).toEqual([false, true]);
  });

  it('steal takes the lead; the former leader follows and queues again', async () => {
    const broker = new LockBroker();
    const [a, b] = [candidate(broker), candidate(broker)];
    a.election.start();
    await tick();
    b.election.start();
    await tick();
    b.election.steal();
    await tick();
    expect(b.election.leader).toBe(true);
    expect(a.roles).toEqual([true, false]);
    b.election.stop();
    await tick();
    expect(a.election.leader).toBe(true);
  });

  it('stop leaves the queue: a stopped follower is never granted the lock', async () => {
    const broker = new LockBroker();
    const [a, b] = [candidate(broker), candidate(broker)];
    a.election.start();
    await tick();
    b.election.start();
    await tick();
    b.election.stop();
    a.election.stop();
    await tick();
    expect(b.roles).toEqual([false]);
    expect(broker.heldNames()).toEqual([]);
  });
});

describe('readTabMessage', () => {
  it('accepts the messages of the group and refuses anything else', () => {
    expect(readTabMessage({ t: 'hello', from: 'x' })).toEqual({ t: 'hello', from: 'x' });
    expect(readTabMessage({ t: 'event', from: 'x', event: { id: '1', type: 'message', data: '{}' } })).toBeDefined();
    expect(readTabMessage({ t: 'matchers', from: 'x', matchers: ['/a', { pattern: '/b/:id' }] })).toBeDefined();
    expect(readTabMessage({ t: 'event', from: 'x', event: { id: 1 } })).toBeUndefined();
    expect(readTabMessage({ t: 'matchers', from: 'x', matchers: [3] })).toBeUndefined();
    expect(readTabMessage({ t: 'state', from: 'x', state: { status: 'weird', retries: 0, keys: [], stream: 's', hidden: false } })).toBeUndefined();
    // `refused` (keys the hub refused) is optional: a tab of an older version sends none.
    expect(readTabMessage({ t: 'state', from: 'x', state: { status: 'open', retries: 0, keys: [], stream: 's', hidden: false } })).toBeDefined();
    expect(readTabMessage({ t: 'state', from: 'x', state: { status: 'open', retries: 0, keys: [], refused: ['/b'], stream: 's', hidden: false } })).toBeDefined();
    expect(readTabMessage({ t: 'state', from: 'x', state: { status: 'open', retries: 0, keys: [], refused: [1], stream: 's', hidden: false } })).toBeUndefined();
    expect(readTabMessage({ t: 'other', from: 'x' })).toBeUndefined();
    expect(readTabMessage('hello')).toBeUndefined();
    expect(readTabMessage(null)).toBeUndefined();
  });
});
