import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/core/envelope.js';
import { compileMatcher } from '../../src/core/matcher.js';
import { channels } from '../../src/core/protocols/channels.js';
import { mercure } from '../../src/core/protocols/mercure.js';
import { sse } from '../../src/core/protocols/sse.js';
import { tokenStream } from '../../src/core/protocols/tokenStream.js';
import type { ProtocolAdapter } from '../../src/core/protocols/types.js';
import { Router, createSubscription } from '../../src/core/router.js';
import { SlotIntake, type Source } from '../../src/core/slotIntake.js';
import type { RawEvent, SseError, TopicMatcher } from '../../src/index.js';

const BASE = 'https://example.com/';
const A = 'https://example.com/a';
const B = 'https://example.com/b';
const PRESENCE = { pattern: 'https://example.com/.well-known/mercure/subscriptions/:topic/:subscriber' };

/**
 * An intake over `adapter` (its `readEvent` recorded: the `enveloped` hint it was given) with
 * subscriptions named by their matchers; `got` lists `name topic data` per delivery.
 */
function intake(adapter: ProtocolAdapter, subs: Record<string, [TopicMatcher, { raw?: boolean }?]>, rawOnly = false) {
  const got: string[] = [];
  const errors: SseError[] = [];
  const hints: (boolean | undefined)[] = [];
  const read = adapter.readEvent.bind(adapter);
  const recording: ProtocolAdapter = Object.assign(Object.create(adapter) as ProtocolAdapter, {
    readEvent: (event: RawEvent, seen?: Map<string, string>, enveloped?: boolean) => (hints.push(enveloped), read(event, seen, enveloped)),
  });
  const router = new Router({ dedicated: rawOnly, topicOf: undefined, reportError: (e) => errors.push(e) });
  for (const [name, [matcher, options = {}]] of Object.entries(subs)) {
    const listener = (u: { topic: string; data: unknown }) => got.push(`${name} ${u.topic} ${typeof u.data === 'string' ? u.data : JSON.stringify(u.data)}`);
    router.add(createSubscription([compileMatcher(matcher, BASE)], listener, options, { listener: () => undefined, parse: () => undefined }));
  }
  const slot = new SlotIntake({ adapter: recording, rawOnly, router, watched: () => false, timeline: () => undefined, reportError: (e) => errors.push(e), keyed: () => undefined });
  const source: Source = { name: 'main', matchers: [], source: 'the-stream', seen: new Map() };
  const route = (data: string, type = 'message', id = '') => slot.route(source, { id, type, data });
  return { route, got, errors, hints };
}

describe('SlotIntake: the envelope hint each adapter is given, and what it makes of it', () => {
  it('mercure: an envelope is routed by its topics (hint true); a legacy subscription event is one (hint false); an `event: mercure` whose data is an envelope is a subscription event', () => {
    const { route, got, errors, hints } = intake(mercure({ protocol: 'legacy', maxUrlLength: 4096 }), { a: [A], b: [B], presence: [PRESENCE] });
    const subscriptionJson = { id: 'https://example.com/.well-known/mercure/subscriptions/a/bob', type: 'Subscription', topic: A, active: true };
    expect(route(encodeEnvelope('m1', [A, B], 's', subscriptionJson), 'message', 'm1')).toBe(true);
    expect(route(JSON.stringify(subscriptionJson), 'message', 'e2')).toBe(true);
    expect(route(encodeEnvelope('m3', [A], 's', 3), 'mercure', 'e3')).toBe(true);
    expect(hints).toEqual([true, false, true]);
    expect(got).toEqual([
      `a ${A} ${JSON.stringify(subscriptionJson)}`,
      `b ${B} ${JSON.stringify(subscriptionJson)}`,
      `presence ${subscriptionJson.id} ${JSON.stringify(subscriptionJson)}`,
    ]);
    // The `event: mercure` with envelope data is the hub's: no subscription selects its topic (none), and nobody reads it as an update of A.
    expect(errors.map((e) => e.code)).toEqual(['unroutable']);
  });

  it('mercure: the same envelope again (a retry the hub dispatched twice) is dropped by its message id, whatever its SSE id', () => {
    const { route, got, hints } = intake(mercure({ protocol: 'v1', maxUrlLength: 4096 }), { a: [A] });
    expect(route(encodeEnvelope('urn:uuid:1', [A], 's', 1), 'message', 'e1')).toBe(true);
    expect(route(encodeEnvelope('urn:uuid:1', [A], 's', 1), 'message', 'e2')).toBe(false);
    expect(got).toEqual([`a ${A} 1`]);
    expect(hints).toEqual([true, true]);
  });

  it('channels: the hint tells the wire data (never an envelope); the unwrapped payload is decoded and routed by its topics', () => {
    const { route, got, errors, hints } = intake(channels(), { a: [A], b: [B], raw: [A, { raw: true }] });
    const envelope = encodeEnvelope('m1', [A, B], 's', { n: 1 });
    expect(route(JSON.stringify({ channelName: A, type: 'message', payload: envelope }))).toBe(true);
    expect(route(JSON.stringify({ channelName: A, type: 'message', payload: 'plain' }))).toBe(true);
    expect(hints).toEqual([false, false]);
    expect(got).toEqual([`a ${A} {"n":1}`, `raw ${A} ${envelope}`, `b ${B} {"n":1}`, `raw ${A} plain`]);
    expect(errors).toEqual([]);
  });

  it.each([
    ['sse', sse()],
    ['tokenStream', tokenStream()],
  ])('%s: an envelope (hint true) is routed by its topics, foreign data (hint false) by the event type to raw subscriptions', (_, adapter) => {
    const { route, got, hints } = intake(adapter, { a: [A], raw: [A, { raw: true }], b: [B] });
    const envelope = encodeEnvelope('m1', [B], 's', 1);
    expect(route(envelope, A)).toBe(true);
    expect(route('not json', A)).toBe(true);
    expect(hints).toEqual([true, false]);
    expect(got).toEqual([`b ${B} 1`, `raw ${A} not json`]);
  });

  it('a slot of raw subscriptions only takes the wire data as is: no envelope decoded, the hint left out', () => {
    const { route, got, hints } = intake(mercure({ protocol: 'v1', maxUrlLength: 4096 }), { raw: [A, { raw: true }] }, true);
    const envelope = encodeEnvelope('m1', [B], 's', 1);
    expect(route(envelope, 'message', 'e1')).toBe(true);
    // Not de-duplicated by its message id either: only by its SSE id, in a replay.
    expect(route(envelope, 'message', 'e2')).toBe(true);
    expect(hints).toEqual([undefined, undefined]);
    expect(got).toEqual([`raw the-stream ${envelope}`, `raw the-stream ${envelope}`]);
  });
});

describe('SlotIntake: envelopes routed by exact topics of every shape', () => {
  it('non-BMP, lone surrogates (escaped on the wire), very long, sharing their length and last 8 code units (past the index’s probe limit): each update reaches its subscription alone, once', () => {
    const shared = Array.from({ length: 12 }, (_, i) => `https://example.com/rooms/${String(i).padStart(2, '0')}/messages`);
    const odd = ['urn:x:\u{1D11E}', 'urn:x:\uD800', 'urn:x:\uDC00', 'urn:x:\uD834\uDD1E\uD834', `https://example.com/${'l'.repeat(5000)}`, `https://example.com/${'l'.repeat(4999)}m`];
    const topics = [...odd, ...shared];
    const subs = Object.fromEntries(topics.map((t, i) => [`s${i}`, [t] as [TopicMatcher]]));
    const { route, got, errors } = intake(mercure({ protocol: 'v1', maxUrlLength: 4096 }), subs);
    const expected: string[] = [];
    for (const [i, t] of topics.entries()) {
      expect(route(encodeEnvelope(`m${i}`, [t], 's', i), 'message', `e${i}`)).toBe(true);
      expected.push(`s${i} ${t} ${i}`);
    }
    // One update to several of them (a topic listed twice reaches its subscription once), and one to a topic nobody holds.
    expect(route(encodeEnvelope('multi', [shared[3]!, 'urn:x:\uD800', shared[3]!, 'urn:x:\uDBFF'], 's', 'x'), 'message', 'e-multi')).toBe(true);
    expected.push(`s${topics.indexOf(shared[3]!)} ${shared[3]} x`, `s1 urn:x:\uD800 x`);
    expect(route(encodeEnvelope('none', ['urn:x:\uDBFF'], 's', 'n'), 'message', 'e-none')).toBe(true);
    expect(got).toEqual(expected);
    expect(errors).toEqual([]);
  });
});
