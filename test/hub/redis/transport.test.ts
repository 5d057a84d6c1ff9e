import { describe, expect, it } from 'vitest';
import { HubEngine, MemoryTransport, comparePositions } from '../../../src/hub/engine/index.js';
import type { HistoryEntry, TransportListener } from '../../../src/hub/engine/index.js';
import { optionsFromFlags, parseFlags } from '../../../src/hub/node/cliOptions.js';
import { openStream, subscribeUrl } from '../helpers.js';
import type { FetchFn } from '../helpers.js';

/** A memory transport whose history reads wait until `open()`: a replay slower than live updates. */
class GatedTransport extends MemoryTransport {
  #open: () => void = () => {};
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  override readAfter(position: string | null, limit: number): HistoryEntry[] {
    return this.#gate.then(() => super.readAfter(position, limit)) as unknown as HistoryEntry[];
  }
  open(): void {
    this.#open();
  }
}

const fetchOf = (engine: HubEngine): FetchFn => (input, init) => engine.handle(new Request(input, init));

describe('hub transport seam', () => {
  it('orders log positions of both transports', () => {
    expect(comparePositions('9', '10')).toBeLessThan(0);
    expect(comparePositions('1732780000000-2', '1732780000000-10')).toBeLessThan(0);
    expect(comparePositions('1732780000001-0', '1732780000000-99')).toBeGreaterThan(0);
    expect(comparePositions('5-1', '5-1')).toBe(0);
  });

  it('delivers each update once, in order, when live updates arrive during a replay', async () => {
    const transport = new GatedTransport(100);
    const engine = new HubEngine({ transport, heartbeat: 0 });
    for (const id of ['id-1', 'id-2']) engine.publish({ topic: 'a', id, data: id });
    const stream = await openStream(fetchOf(engine), subscribeUrl(engine.url, [['match', 'a']]), { headers: { 'last-event-id': 'id-1' } });
    // Published while the replay waits: it is both in the history read and in the live fan-out.
    engine.publish({ topic: 'a', id: 'id-3', data: 'id-3' });
    transport.open();
    engine.publish({ topic: 'a', id: 'id-4', data: 'id-4' });
    await stream.waitFor((e) => e.id === 'id-4');
    engine.publish({ topic: 'a', id: 'id-5', data: 'id-5' });
    await stream.waitFor((e) => e.id === 'id-5');
    expect(stream.events.map((e) => e.id)).toEqual(['id-2', 'id-3', 'id-4', 'id-5']);
    stream.close();
  });

  it('goes on replaying when only the cursor left the history meanwhile, and drops the reader once more is gone', async () => {
    const transport = new GatedTransport(3);
    const engine = new HubEngine({ transport, heartbeat: 0 });
    const disconnects: string[] = [];
    engine.on('disconnect', (info) => disconnects.push(info.reason));
    for (const id of ['id-1', 'id-2', 'id-3']) engine.publish({ topic: 'a', id, data: id });
    const kept = await openStream(fetchOf(engine), subscribeUrl(engine.url, [['match', 'a']]), { headers: { 'last-event-id': 'id-1' } });
    expect(kept.response.headers.get('mercure-last-event-id')).toBe('id-1');
    // While the replay waits, id-1 leaves the history; id-2 and everything after it stay.
    engine.publish({ topic: 'a', id: 'id-4', data: 'id-4' });
    transport.open();
    await kept.waitFor((e) => e.id === 'id-4');
    expect(kept.events.map((e) => e.id)).toEqual(['id-2', 'id-3', 'id-4']);
    expect(disconnects).toEqual([]);
    kept.close();

    const gated = new GatedTransport(3);
    const other = new HubEngine({ transport: gated, heartbeat: 0 });
    const reasons: string[] = [];
    other.on('disconnect', (info) => reasons.push(info.reason));
    for (const id of ['id-1', 'id-2', 'id-3']) other.publish({ topic: 'a', id, data: id });
    const behind = await openStream(fetchOf(other), subscribeUrl(other.url, [['match', 'a']]), { headers: { 'last-event-id': 'id-1' } });
    // Two updates while the replay waits: id-2, which the reader still needs, is gone.
    for (const id of ['id-4', 'id-5']) other.publish({ topic: 'a', id, data: id });
    gated.open();
    expect(await behind.ended).toBe('error');
    expect(reasons).toEqual(['slow']);
    expect(behind.events).toEqual([]);
  });

  it('replays through a transport without keepsAfter (one written by a user), asking readBefore whether the cursor is retained', async () => {
    const transport = new GatedTransport(3);
    // As a transport without the method: the own property hides the class's.
    Object.defineProperty(transport, 'keepsAfter', { value: undefined });
    const engine = new HubEngine({ transport, heartbeat: 0 });
    for (const id of ['id-1', 'id-2', 'id-3']) engine.publish({ topic: 'a', id, data: id });
    const stream = await openStream(fetchOf(engine), subscribeUrl(engine.url, [['match', 'a']]), { headers: { 'last-event-id': 'id-2' } });
    transport.open();
    engine.publish({ topic: 'a', id: 'id-4', data: 'id-4' });
    await stream.waitFor((e) => e.id === 'id-4');
    expect(stream.events.map((e) => e.id)).toEqual(['id-3', 'id-4']);
    stream.close();
  });

  it('drops every connection, so clients resume from history, when the transport reports missed updates', async () => {
    let listener: TransportListener | undefined;
    const transport = new MemoryTransport();
    const attach = transport.attach.bind(transport);
    transport.attach = (l) => {
      listener = l;
      attach(l);
    };
    const engine = new HubEngine({ transport, heartbeat: 0 });
    const reasons: string[] = [];
    engine.on('disconnect', (info) => reasons.push(info.reason));
    const stream = await openStream(fetchOf(engine), subscribeUrl(engine.url, [['match', 'a']]));
    listener?.lost('3 entries were trimmed before this process read them');
    expect(await stream.ended).toBe('error');
    expect(reasons).toEqual(['dropped']);
  });

  it('keeps delivering to a resumed subscriber after the history is cleared', async () => {
    const engine = new HubEngine({ heartbeat: 0 });
    for (const id of ['id-1', 'id-2']) engine.publish({ topic: 'a', id });
    const stream = await openStream(fetchOf(engine), subscribeUrl(engine.url, [['match', 'a']]), { headers: { 'last-event-id': 'id-1' } });
    await stream.waitFor((e) => e.id === 'id-2');
    engine.clearHistory();
    engine.publish({ topic: 'a', id: 'after-clear' });
    await stream.waitFor((e) => e.id === 'after-clear');
    expect(stream.events.map((e) => e.id)).toEqual(['id-2', 'after-clear']);
    stream.close();
  });

  it('keeps subscription events out of the update history', async () => {
    const engine = new HubEngine({ subscriptions: true, heartbeat: 0 });
    const stream = await openStream(fetchOf(engine), subscribeUrl(engine.url, [['match', 'a']]));
    engine.publish({ topic: 'a', id: 'only' });
    await stream.waitFor((e) => e.id === 'only');
    expect(engine.history.map((update) => update.id)).toEqual(['only']);
    stream.close();
  });

  it('refuses the synchronous publish() on an asynchronous transport, with a hint', () => {
    const transport = new MemoryTransport();
    Object.defineProperty(transport, 'synchronous', { value: false });
    const engine = new HubEngine({ transport });
    expect(() => engine.publish({ topic: 'a' })).toThrow(/publishAsync/);
  });

  it('reads --transport and SSE_KIT_HUB_TRANSPORT, and refuses an unknown transport', () => {
    expect(optionsFromFlags(parseFlags(['--transport', 'redis://cache:6379/2'], {}))).toMatchObject({ transport: 'redis://cache:6379/2' });
    expect(optionsFromFlags(parseFlags([], { SSE_KIT_HUB_TRANSPORT: 'memory' }))).toMatchObject({ transport: 'memory' });
    expect(optionsFromFlags(parseFlags([], {}))).not.toHaveProperty('transport');
    expect(() => optionsFromFlags(parseFlags(['--transport', 'kafka://x'], {}))).toThrow(/memory or redis:/);
  });
});
