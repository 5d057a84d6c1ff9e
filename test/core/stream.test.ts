import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import type { SseError, SseUpdate } from '../../src/index.js';
import { StreamHub, envelopeEvent, sse } from './streamHub.js';

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

function setup(maxEventSize?: number) {
  const hub = new StreamHub();
  const errors: SseError[] = [];
  const updates: SseUpdate[] = [];
  const driver = new SseDriver({
    url: 'https://hub.test/.well-known/mercure',
    fetch: hub.fetch,
    protocol: 'v1',
    platform: { random: () => 1, events: undefined },
    onError: (e) => errors.push(e),
    ...(maxEventSize === undefined ? {} : { maxEventSize }),
  });
  driver.subscribe(['a', 'b'], (u) => updates.push(u));
  return { hub, driver, errors, updates };
}

const STREAM =
  ': welcome\n\n' +
  envelopeEvent('urn:1', 'a', { text: 'héllo wörld ✓ 😀' }) +
  'retry: 1000\r\n\r\n' +
  envelopeEvent('urn:2', 'b', ['multi', 'line\nvalue'], { event: 'custom' }).replace(/\n/g, '\r\n') +
  envelopeEvent('urn:3', 'a', null).replace(/\n/g, '\r') +
  ':keep-alive\n\n';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stream parsing', () => {
  async function run(chunkSize: number | undefined): Promise<SseUpdate[]> {
    const { hub, driver, updates } = setup();
    await tick(10);
    const bytes = new TextEncoder().encode(STREAM);
    const size = chunkSize ?? bytes.length;
    for (let i = 0; i < bytes.length; i += size) hub.last.push(bytes.slice(i, i + size));
    await tick();
    driver.destroy();
    return updates;
  }

  it('gives the same updates fed whole, in 1-byte and in 2-byte chunks', async () => {
    const whole = await run(undefined);
    expect(whole.map((u) => [u.id, u.topic, u.type])).toEqual([
      ['urn:1', 'a', 'message'],
      ['urn:2', 'b', 'custom'],
      ['urn:3', 'a', 'message'],
    ]);
    expect(whole[0]?.data).toEqual({ text: 'héllo wörld ✓ 😀' });
    expect(await run(1)).toEqual(whole);
    expect(await run(2)).toEqual(whole);
  });

  it('delivers a 1 MB event', async () => {
    const { hub, driver, updates } = setup();
    await tick(10);
    const big = 'x'.repeat(1024 * 1024);
    const event = envelopeEvent('urn:big', 'a', big);
    for (let i = 0; i < event.length; i += 65536) hub.last.push(event.slice(i, i + 65536));
    await tick();
    expect(updates).toHaveLength(1);
    expect((updates[0]?.data as string).length).toBe(1024 * 1024);
    driver.destroy();
  });

  it('turns an event over maxEventSize into a protocol error and resumes cleanly', async () => {
    const { hub, driver, errors, updates } = setup(1024);
    await tick(10);
    hub.last.push(envelopeEvent('urn:1', 'a', 1));
    hub.last.push(`data: ${'y'.repeat(4096)}`);
    await tick();
    expect(errors.map((e) => e.code)).toEqual(['protocol']);
    expect(hub.requests[0]?.closed).toBe(true);
    await tick(1000);
    expect(hub.requests).toHaveLength(2);
    expect(hub.last.headers.get('last-event-id')).toBe('urn:1');
    hub.last.push(envelopeEvent('urn:2', 'a', 2));
    await tick();
    expect(updates.map((u) => u.id)).toEqual(['urn:1', 'urn:2']);
    driver.destroy();
  });

  it('discards an event cut mid-stream and resumes from the last complete one', async () => {
    const { hub, driver, errors, updates } = setup();
    await tick(10);
    const second = envelopeEvent('urn:2', 'a', 2);
    hub.last.push(envelopeEvent('urn:1', 'a', 1) + second.slice(0, 20));
    hub.last.fail();
    await tick();
    expect(updates.map((u) => u.id)).toEqual(['urn:1']);
    expect(errors.map((e) => e.code)).toEqual(['network']);
    await tick(1000);
    expect(hub.last.headers.get('last-event-id')).toBe('urn:1');
    hub.last.push(second);
    await tick();
    expect(updates.map((u) => u.id)).toEqual(['urn:1', 'urn:2']);
    driver.destroy();
  });

  it.each([1, 2, undefined])('strips the byte order mark that starts a stream (in %s-byte chunks), and only that one', async (size) => {
    const { hub, driver, updates } = setup();
    await tick(10);
    // A server writing a BOM first: the first event's first field must still be read.
    const first = envelopeEvent('urn:1', 'a', 1, { sseId: null });
    const bytes = new TextEncoder().encode(`\uFEFF${first}`);
    const step = size ?? bytes.length;
    for (let i = 0; i < bytes.length; i += step) hub.last.push(bytes.slice(i, i + step));
    // U+FEFF later in the stream is content.
    hub.last.push(envelopeEvent('urn:2', 'a', '\uFEFFkept'));
    await tick();
    expect(updates.map((u) => [u.id, u.data])).toEqual([
      ['urn:1', 1],
      ['urn:2', '\uFEFFkept'],
    ]);
    expect(hub.requests).toHaveLength(1);
    driver.destroy();
  });

  it('survives garbage bytes: no crash, no bogus delivery, valid events still arrive', async () => {
    const { hub, driver, updates, errors } = setup();
    await tick(10);
    hub.last.push(new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x0a, 0xc3, 0x28, 0x0a, 0x0a]));
    hub.last.push('garbage line without colon\nfoo: bar\n\n');
    hub.last.push(sse({ id: 'g1', data: '\u0000\u0001 not json' }));
    hub.last.push(envelopeEvent('urn:ok', 'a', 'fine'));
    await tick();
    expect(updates.map((u) => u.id)).toEqual(['urn:ok']);
    expect(errors.every((e) => e.code === 'unroutable')).toBe(true);
    expect(driver.getSnapshot().status).toBe('open');
    driver.destroy();
  });
});
