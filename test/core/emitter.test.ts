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

  it('lets a listener unsubscribe another during an emit without skipping the rest', () => {
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
    expect(calls).toEqual(['a', 'b', 'c', 'a', 'c']);
  });
});
