import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { EventSourceLike, SseUpdate } from '../../src/index.js';
import { StreamHub, envelopeEvent } from './streamHub.js';

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A stand-in for the browser's EventSource: records its URL and lets the test dispatch events. */
class FakeEventSource extends EventTarget implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  readonly url: string;
  readonly withCredentials: boolean;
  constructor(url: string, init?: { withCredentials?: boolean }) {
    super();
    this.url = url;
    this.withCredentials = init?.withCredentials ?? false;
    FakeEventSource.instances.push(this);
  }
  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  emit(type: string, data: string, lastEventId: string): void {
    this.dispatchEvent(new MessageEvent(type, { data, lastEventId }));
  }
  close(): void {
    this.readyState = 2;
  }
}

describe('subscriber options', () => {
  it('sends subscriber headers and cookies (withCredentials) with the fetch transport', async () => {
    const hub = new StreamHub();
    const driver = new SseDriver({
      url: 'https://hub.test/.well-known/mercure',
      fetch: hub.fetch,
      protocol: 'v1',
      headers: { 'X-App': 'demo' },
      subscriber: { withCredentials: true, headers: { Authorization: 'Bearer sub' } },
      platform: { events: undefined },
    });
    driver.subscribe('a', () => undefined);
    await tick(10);
    expect(hub.last.headers.get('authorization')).toBe('Bearer sub');
    expect(hub.last.headers.get('x-app')).toBe('demo');
    expect(hub.last.headers.get('accept')).toBe('text/event-stream');
    driver.destroy();
  });
});

describe('eventsource transport', () => {
  it('uses the native EventSource with cookies, listens for subscribed types and resumes with last_event_id', async () => {
    FakeEventSource.instances = [];
    const updates: SseUpdate[] = [];
    const driver = new SseDriver({
      url: 'https://hub.test/.well-known/mercure',
      transport: 'eventsource',
      EventSource: FakeEventSource,
      subscriber: { withCredentials: true },
      platform: { random: () => 1, events: undefined },
    });
    driver.subscribe('a', (u) => updates.push(u));
    driver.subscribe('a', (u) => updates.push(u), { type: 'custom' });
    await tick(10);
    const first = FakeEventSource.instances[0];
    if (!first) throw new Error('no EventSource');
    expect(first.withCredentials).toBe(true);
    expect(new URL(first.url).searchParams.getAll('match')).toEqual(['a']);
    first.open();
    expect(driver.getSnapshot().status).toBe('open');
    const data = (id: string) => envelopeEvent(id, 'a', id).split('\n').find((l) => l.startsWith('data: '))?.slice(6) ?? '';
    first.emit('message', data('u1'), 'u1');
    first.emit('custom', data('u2'), 'u2');
    expect(updates.map((u) => [u.id, u.type])).toEqual([
      ['u1', 'message'],
      ['u2', 'custom'],
      ['u2', 'custom'],
    ]);
    first.close();
    first.dispatchEvent(new Event('error'));
    expect(driver.getSnapshot().status).toBe('reconnecting');
    await tick(1000);
    const second = FakeEventSource.instances[1];
    expect(new URL(second?.url ?? 'x:').searchParams.get('last_event_id')).toBe('u2');
    driver.destroy();
  });

  it('a stream that delivers events is never restarted for silence (the EventSource shows no byte, nor heartbeat)', async () => {
    FakeEventSource.instances = [];
    const errors: string[] = [];
    const timeline: string[] = [];
    const driver = new SseDriver({
      url: 'https://hub.test/.well-known/mercure',
      transport: 'eventsource',
      EventSource: FakeEventSource,
      heartbeatTimeout: 1000,
      platform: { random: () => 1, events: undefined },
      onError: (error) => errors.push(error.code),
    });
    driver.on('event', (e) => timeline.push(e.type));
    const got: unknown[] = [];
    driver.subscribe('a', (u) => got.push(u.data));
    await tick(10);
    const source = FakeEventSource.instances[0];
    if (!source) throw new Error('no EventSource');
    source.open();
    for (let i = 0; i < 5; i++) {
      await tick(500);
      const data = envelopeEvent(`u${i}`, 'a', i).split('\n').find((l) => l.startsWith('data: '))?.slice(6) ?? '';
      source.emit('message', data, `u${i}`);
    }
    await tick(10_000);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(errors).toEqual([]);
    expect(timeline).not.toContain('drop');
    expect(timeline).not.toContain('fallback');
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });

  it("reports no gap when the browser's EventSource reconnects by itself (it resumes with Last-Event-ID)", async () => {
    FakeEventSource.instances = [];
    const errors: string[] = [];
    const driver = new SseDriver({
      url: 'https://hub.test/.well-known/mercure',
      transport: 'eventsource',
      EventSource: FakeEventSource,
      platform: { random: () => 1, events: undefined },
      onError: (error) => errors.push(error.code),
    });
    driver.subscribe('a', () => undefined);
    await tick(10);
    const source = FakeEventSource.instances[0];
    if (!source) throw new Error('no EventSource');
    source.open();
    const data = envelopeEvent('u1', 'a', 'u1').split('\n').find((l) => l.startsWith('data: '))?.slice(6) ?? '';
    source.emit('message', data, 'u1');
    // A network blip: the browser retries by itself (readyState CONNECTING), then opens again.
    source.readyState = 0;
    source.dispatchEvent(new Event('error'));
    expect(driver.getSnapshot().status).toBe('reconnecting');
    source.open();
    expect(driver.getSnapshot()).toMatchObject({ status: 'open', error: undefined });
    expect(errors).toEqual([]);
    expect(FakeEventSource.instances).toHaveLength(1);
    driver.destroy();
  });
});
