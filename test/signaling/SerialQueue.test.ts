import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SerialQueue, type BatchOutcome } from '../../src/signaling/SerialQueue.js';

const timers = { setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms), clearTimeout: (handle: unknown) => clearTimeout(handle as number) };

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SerialQueue', () => {
  it('runs a synchronous job before push returns, and one job at a time in order', async () => {
    const ran: string[] = [];
    let release: () => void = () => undefined;
    const queue = new SerialQueue<string>({
      run: ([item]) => {
        ran.push(item!);
        if (item === 'slow') return new Promise<void>((resolve) => (release = resolve));
        return undefined;
      },
    });
    void queue.push('first');
    expect(ran).toEqual(['first']);
    void queue.push('slow');
    const last = queue.push('last');
    expect(ran).toEqual(['first', 'slow']);
    release();
    await last;
    expect(ran).toEqual(['first', 'slow', 'last']);
  });

  it('batches consecutive items that join', async () => {
    const batches: string[][] = [];
    const queue = new SerialQueue<string>({
      run: async (batch) => {
        batches.push([...batch]);
        await Promise.resolve();
      },
      joins: (head, next) => head[0] === next[0],
    });
    await Promise.all(['a1', 'a2', 'a3', 'b1', 'b2', 'a4'].map((item) => queue.push(item)));
    expect(batches).toEqual([['a1'], ['a2', 'a3'], ['b1', 'b2'], ['a4']]);
  });

  it('abandons a job that never settles at its deadline: aborts it, rejects its items, and goes on', async () => {
    const signals: AbortSignal[] = [];
    const outcomes: BatchOutcome[] = [];
    const queue = new SerialQueue<string>({
      run: (batch, signal) => {
        signals.push(signal);
        return batch[0] === 'hung' ? new Promise<void>(() => undefined) : Promise.resolve();
      },
      deadline: { ms: 1_000, timers, expired: (running) => new Error(running ? 'no answer' : 'waited too long') },
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    const hung = queue.push('hung').catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(400);
    const next = queue.push('next');
    await vi.advanceTimersByTimeAsync(599);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await hung).toBe('no answer');
    expect(signals[0]!.aborted).toBe(true);
    await expect(next).resolves.toBeUndefined();
    expect(signals[1]!.aborted).toBe(false);
    expect(outcomes).toEqual(['expired', 'done']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives up every item pushed with a hung one at the same deadline, running or waiting', async () => {
    const queue = new SerialQueue<string>({
      run: () => new Promise<void>(() => undefined),
      deadline: { ms: 1_000, timers, expired: (running) => new Error(running ? 'no answer' : 'waited too long') },
    });
    const results = ['one', 'two', 'three'].map((item) => queue.push(item).catch((error: Error) => error.message));
    await vi.advanceTimersByTimeAsync(999);
    await vi.advanceTimersByTimeAsync(1);
    const messages = await Promise.all(results);
    expect(messages[0]).toBe('no answer');
    expect(messages.every((m) => m === 'no answer' || m === 'waited too long')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clear() drops the waiting items and lets the job in progress finish', async () => {
    const ran: string[] = [];
    let release: () => void = () => undefined;
    const queue = new SerialQueue<string>({
      run: ([item]) => {
        ran.push(item!);
        return item === 'long' ? new Promise<void>((resolve) => (release = resolve)) : undefined;
      },
    });
    const long = queue.push('long');
    const dropped = queue.push('dropped');
    queue.clear();
    await expect(dropped).resolves.toBeUndefined();
    release();
    await expect(long).resolves.toBeUndefined();
    expect(ran).toEqual(['long']);
  });
});
