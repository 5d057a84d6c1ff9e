import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../src/core/emitter.js';

describe('Emitter', () => {
  it('delivers typed events and change notifications to every listener', () => {
    const emitter = new Emitter<{ message: string }>();
    const seen: string[] = [];
    const changes = vi.fn();
    emitter.on('message', (text) => seen.push(`a:${text}`));
    emitter.on('message', (text) => seen.push(`b:${text}`));
    emitter.subscribe(changes);
    emitter.emit('message', 'hi');
    emitter.notify();
    expect(seen).toEqual(['a:hi', 'b:hi']);
    expect(changes).toHaveBeenCalledTimes(1);
  });

  it('keeps delivering after a listener throws and reports the error', () => {
    const reported: unknown[] = [];
    const emitter = new Emitter<{ n: number }>({ onListenerError: (error) => reported.push(error) });
    const after = vi.fn();
    emitter.on('n', () => {
      throw new Error('boom');
    });
    emitter.on('n', after);
    emitter.emit('n', 1);
    expect(after).toHaveBeenCalledWith(1);
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('boom');
  });

  it('calls onFirst on the first listener and onLast when the last one leaves', () => {
    const onFirst = vi.fn();
    const onLast = vi.fn();
    const emitter = new Emitter<{ x: number }>({ onFirst, onLast });
    const off1 = emitter.subscribe(() => {});
    const off2 = emitter.on('x', () => {});
    expect(onFirst).toHaveBeenCalledTimes(1);
    off1();
    off1();
    expect(onLast).not.toHaveBeenCalled();
    off2();
    expect(onLast).toHaveBeenCalledTimes(1);
    expect(emitter.hasListeners()).toBe(false);
  });

  it('lets a listener unsubscribe another during an emit: the removed one is not called, the rest are', () => {
    const emitter = new Emitter<{ x: number }>();
    const calls: string[] = [];
    let offB = (): void => {};
    emitter.on('x', () => {
      calls.push('a');
      offB();
    });
    offB = emitter.on('x', () => calls.push('b'));
    emitter.on('x', () => calls.push('c'));
    emitter.emit('x', 1);
    emitter.emit('x', 2);
    // Before: ['a', 'b', 'c', 'a', 'c'] (b, already unsubscribed, still heard the first event).
    expect(calls).toEqual(['a', 'c', 'a', 'c']);
  });

  it('skips a change listener another one removed during a notify, and holds a new one for the next', () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    let offB = (): void => {};
    emitter.subscribe(() => {
      calls.push('a');
      offB();
      emitter.subscribe(() => calls.push('late'));
    });
    offB = emitter.subscribe(() => calls.push('b'));
    emitter.notify();
    expect(calls).toEqual(['a']);
  });
});
