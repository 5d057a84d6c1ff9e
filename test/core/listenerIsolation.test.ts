import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { DriverEvent, SseDriverOptions, SseError, SseUpdate } from '../../src/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const URL_ = 'http://localhost:8080/.well-known/mercure';
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function setup(options: Partial<SseDriverOptions> = {}) {
  const hub = new StreamHub();
  const driver = new SseDriver({ url: URL_, fetch: hub.fetch, protocol: 'v1', platform: { random: () => 1, events: undefined }, ...options });
  return { hub, driver };
}

const boom = new Error('listener bug');

describe('a throwing listener', () => {
  it('of a subscription: reported through onError as a listener error, and delivery goes on', async () => {
    const errors: SseError[] = [];
    const { hub, driver } = setup({ onError: (e) => errors.push(e) });
    const calls: unknown[] = [];
    const other: unknown[] = [];
    driver.subscribe('a', (u) => {
      calls.push(u.data);
      throw boom;
    });
    driver.subscribe('a', (u) => other.push(u.data));
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', 1) + envelopeEvent('m2', 'a', 2));
    await tick();
    expect(calls).toEqual([1, 2]);
    expect(other).toEqual([1, 2]);
    expect(errors.map((e) => [e.code, e.cause])).toEqual([
      ['listener', boom],
      ['listener', boom],
    ]);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it('of the timeline or the state: the others still run and updates are still delivered', async () => {
    const errors: SseError[] = [];
    const { hub, driver } = setup({ onError: (e) => errors.push(e) });
    const events: DriverEvent['type'][] = [];
    driver.on('event', () => {
      throw boom;
    });
    driver.on('event', (e) => events.push(e.type));
    let stateCalls = 0;
    driver.on('state', () => {
      throw boom;
    });
    driver.on('state', () => stateCalls++);
    const got: SseUpdate[] = [];
    driver.subscribe('a', (u) => got.push(u));
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    expect(got.map((u) => u.data)).toEqual([1]);
    expect(events).toContain('update');
    expect(stateCalls).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.code === 'listener' && e.cause === boom)).toBe(true);
    driver.destroy();
  });

  it('without onError: goes to the platform reportError, never to an unhandled rejection', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    const { hub, driver } = setup();
    const got: unknown[] = [];
    driver.subscribe('a', () => {
      throw boom;
    });
    driver.subscribe('a', (u) => got.push(u.data));
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    expect(got).toEqual([1]);
    expect(reported).toEqual([boom]);
    driver.destroy();
  });

  it('an onError that throws does not break the stream either', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    const { hub, driver } = setup({
      onError: () => {
        throw boom;
      },
    });
    const got: unknown[] = [];
    driver.subscribe('a', (u) => got.push(u.data));
    await tick(10);
    hub.last.push('data: not an envelope\n\n'); // unroutable → onError
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    expect(got).toEqual([1]);
    expect(reported).toEqual([boom]);
    driver.destroy();
  });
});

describe('driver.on(type, fn)', () => {
  it("passes the new snapshot to 'state' listeners and every background error to 'error' listeners", async () => {
    const { hub, driver } = setup();
    const states: string[] = [];
    const errors: string[] = [];
    driver.on('state', (state) => {
      expect(state).toBe(driver.getSnapshot());
      states.push(state.status);
    });
    const offErrors = driver.on('error', (error) => errors.push(error.code));
    driver.subscribe('a', () => {
      throw boom;
    });
    await tick(10);
    hub.last.push(envelopeEvent('m1', 'a', 1));
    await tick();
    expect(states).toContain('open');
    expect(errors).toEqual(['listener']);
    offErrors();
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    hub.last.push(envelopeEvent('m2', 'a', 2));
    await tick();
    expect(errors).toEqual(['listener']);
    expect(reported).toEqual([boom]); // no error listener left: the platform reports it
    driver.destroy();
  });

  it('refuses an unknown event type with a misuse error', () => {
    const { driver } = setup();
    expect(() => driver.on('nope' as 'state', () => {})).toThrowError(expect.objectContaining({ code: 'misuse' }) as Error);
    driver.destroy();
  });
});
