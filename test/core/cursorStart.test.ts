import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { DriverEvent, SseError, SseGapError, SseUpdate } from '../../src/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, onError: (e) => errors.push(e) });
  const timeline: DriverEvent[] = [];
  driver.on('event', (e) => timeline.push(e));
  return { hub, driver, errors, timeline };
}

describe('the cursor before the first event', () => {
  it('starts at the position the hub reports when the stream opens, so a cut before any update resumes from there', async () => {
    const { hub, driver, errors } = setup();
    // Like the reference hub: every subscription response tells the last event id it starts after.
    hub.respond = () => ({ headers: { 'Last-Event-ID': 'urn:uuid:h7' } });
    const got: SseUpdate[] = [];
    driver.subscribe('a', (u) => got.push(u));
    await tick(10);
    expect(driver.getSnapshot().lastEventId).toBe('urn:uuid:h7');
    hub.last.fail(); // cut before it delivered anything
    await tick(1000);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.headers.get('last-event-id')).toBe('urn:uuid:h7');
    // The hub replays what was published during the outage.
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    expect(got.map((u) => u.data)).toEqual([1]);
    expect(errors.map((e) => e.code)).toEqual(['network']);
    driver.destroy();
  });

  it('reports a possible loss (gap of unknown extent) when a stream reopens with no position at all', async () => {
    const { hub, driver, errors, timeline } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push(': a comment, no id\n\n');
    await tick();
    hub.last.fail();
    await tick(1000);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.headers.get('last-event-id')).toBeNull();
    const gap = errors.find((e) => e.code === 'gap') as SseGapError | undefined;
    expect(gap).toBeDefined();
    expect(gap?.requested).toBeUndefined();
    expect(timeline.some((e) => e.type === 'gap')).toBe(true);
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: gap });
    driver.destroy();
  });

  it('reports no gap for the first open, nor for a reopen that resumes from an id', async () => {
    const { hub, driver, errors } = setup();
    driver.subscribe('a', () => undefined);
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    hub.last.fail();
    await tick(1000);
    expect(hub.last.headers.get('last-event-id')).toBe('m1');
    expect(errors.map((e) => e.code)).toEqual(['network']);
    driver.destroy();
  });
});
