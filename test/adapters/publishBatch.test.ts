import { describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { FetchLike } from '../../src/core/types.js';
import { channels } from '../../src/core/protocols/channels.js';

/** A fetch that records publish bodies and answers each only when told to. */
function gatedFetch() {
  const bodies: { events: { channelName: string; payload: string }[] }[] = [];
  const pending: (() => void)[] = [];
  const fetch: FetchLike = (_input, init) =>
    new Promise((resolve, reject) => {
      bodies.push(JSON.parse(String(init?.body)) as (typeof bodies)[number]);
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      pending.push(() => resolve(new Response(null, { status: 200 })));
    });
  return { fetch, bodies, release: () => pending.shift()?.() };
}

/** Channel publishes share requests: those made together, and those made while one is in flight. */
describe('channel publishes in batches', () => {
  it('publishes made while a request is in flight go together in the next one, in order', async () => {
    const gate = gatedFetch();
    const driver = new SseDriver({ url: 'https://channels.test', server: channels(), fetch: gate.fetch, platform: { events: undefined } });
    const first = driver.publish('c1', 'one', { raw: true });
    await expect.poll(() => gate.bodies.length).toBe(1);
    const later = [driver.publish('c1', 'two', { raw: true }), driver.publish('c2', 'three', { raw: true })];
    await new Promise((r) => setTimeout(r, 10));
    expect(gate.bodies.length).toBe(1);
    gate.release();
    await first;
    await expect.poll(() => gate.bodies.length).toBe(2);
    expect(gate.bodies[1]?.events.map((e) => [e.channelName, e.payload])).toEqual([
      ['c1', 'two'],
      ['c2', 'three'],
    ]);
    gate.release();
    await Promise.all(later);
    driver.destroy();
  });

  it('an aborted publish leaves the batch before it is sent; the others still go', async () => {
    const gate = gatedFetch();
    const driver = new SseDriver({ url: 'https://channels.test', server: channels(), fetch: gate.fetch, platform: { events: undefined } });
    const first = driver.publish('c1', 'one', { raw: true });
    await expect.poll(() => gate.bodies.length).toBe(1);
    const controller = new AbortController();
    const aborted = driver.publish('c1', 'dropped', { raw: true, signal: controller.signal });
    const kept = driver.publish('c1', 'kept', { raw: true });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    gate.release();
    await first;
    await expect.poll(() => gate.bodies.length).toBe(2);
    expect(gate.bodies[1]?.events.map((e) => e.payload)).toEqual(['kept']);
    gate.release();
    await kept;
    driver.destroy();
  });

  it.each([
    ['an empty payload', '', undefined],
    ['a type of the server itself', 'hello', 'registered'],
  ])('a publish the server would refuse (%s) fails alone at once; the publishes made with it still go', async (_case, data, type) => {
    const gate = gatedFetch();
    const driver = new SseDriver({ url: 'https://channels.test', server: channels(), fetch: gate.fetch, platform: { events: undefined } });
    const before = driver.publish('c1', 'before', { raw: true });
    const refused = driver.publish('c1', data, { raw: true, ...(type === undefined ? {} : { type }) });
    const after = driver.publish('c2', 'after', { raw: true });
    await expect(refused).rejects.toMatchObject({ code: 'misuse' });
    await expect.poll(() => gate.bodies.length).toBe(1);
    expect(gate.bodies[0]?.events.map((e) => [e.channelName, e.payload])).toEqual([
      ['c1', 'before'],
      ['c2', 'after'],
    ]);
    gate.release();
    await expect(Promise.all([before, after])).resolves.toEqual([expect.any(String), expect.any(String)]);
    driver.destroy();
  });

  it('a publish aborted while its request is in flight settles at once as aborted; the others in that request still resolve', async () => {
    const gate = gatedFetch();
    // No publish deadline: only the abort can settle the aborted publish while the hub does not answer.
    const driver = new SseDriver({ url: 'https://channels.test', server: channels(), fetch: gate.fetch, publishTimeout: 0, platform: { events: undefined } });
    const controller = new AbortController();
    const aborted = driver.publish('c1', 'sent', { raw: true, signal: controller.signal });
    const other = driver.publish('c1', 'other', { raw: true });
    await expect.poll(() => gate.bodies.length).toBe(1);
    expect(gate.bodies[0]?.events.map((e) => e.payload)).toEqual(['sent', 'other']);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    gate.release();
    await expect(other).resolves.toEqual(expect.any(String));
    await driver.whenIdle();
    driver.destroy();
  });
});
