import { describe, expectTypeOf, it } from 'vitest';
import type { SseError } from '../../src/core/errors.js';
import type { SseUpdate } from '../../src/core/types.js';
import { useConnectionStatus, usePublish, useTopic, type ConnectionState, type UseTopicResult } from '../../src/react/index.js';

// Type-level checks (run by `npm run typecheck`); the hooks are never called.
declare const topic: string;

describe('hook types (issue 15.5)', () => {
  it('useTopic infers T from a parse function', () => {
    const hook = () => useTopic(topic, { parse: (data) => Number(data) });
    expectTypeOf(hook).returns.toEqualTypeOf<UseTopicResult<number>>();
    expectTypeOf<ReturnType<typeof hook>['last']>().toEqualTypeOf<SseUpdate<number> | undefined>();

    interface Message {
      text: string;
    }
    const isMessage = (value: unknown): value is Message => typeof value === 'object' && value !== null && typeof (value as Message).text === 'string';
    const validated = () =>
      useTopic(topic, {
        parse: (data): Message => {
          if (!isMessage(data)) throw new TypeError('not a message');
          return data;
        },
        onEvent: (update) => expectTypeOf(update.data).toEqualTypeOf<Message>(),
      });
    expectTypeOf(validated).returns.toEqualTypeOf<UseTopicResult<Message>>();
  });

  it("useTopic with parse: 'text' holds strings", () => {
    const hook = () => useTopic(topic, { parse: 'text' });
    expectTypeOf(hook).returns.toEqualTypeOf<UseTopicResult<string>>();
  });

  it('useTopic without parse is unknown unless cast explicitly with a type argument', () => {
    expectTypeOf(() => useTopic(topic)).returns.toEqualTypeOf<UseTopicResult<unknown>>();
    expectTypeOf(() => useTopic<{ n: number }>(topic, { buffer: 10 })).returns.toEqualTypeOf<UseTopicResult<{ n: number }>>();
    // A type argument must agree with the parse function.
    // @ts-expect-error parse returns a number, not a string
    const mismatch = () => useTopic<string>(topic, { parse: (data) => Number(data) });
    expectTypeOf(mismatch).toBeFunction();
  });

  it('useTopic separates its own error from the connection error', () => {
    expectTypeOf<UseTopicResult<unknown>['error']>().toEqualTypeOf<SseError | undefined>();
    expectTypeOf<UseTopicResult<unknown>['connectionError']>().toEqualTypeOf<SseError | undefined>();
  });

  it('useConnectionStatus returns what the selector picks', () => {
    expectTypeOf(() => useConnectionStatus((s) => s.status)).returns.toEqualTypeOf<ConnectionState['status']>();
    expectTypeOf(() => useConnectionStatus((s) => ({ retries: s.retries, reconnect: s.reconnect }))).returns.toEqualTypeOf<{
      retries: number;
      reconnect: () => void;
    }>();
    expectTypeOf(() => useConnectionStatus().lastEventId).returns.toEqualTypeOf<string | undefined>();
  });

  it('usePublish types what publish accepts', () => {
    const hook = () => usePublish<{ text: string }>(topic);
    expectTypeOf<ReturnType<typeof hook>['publish']>().parameter(0).toEqualTypeOf<{ text: string }>();
  });
});
