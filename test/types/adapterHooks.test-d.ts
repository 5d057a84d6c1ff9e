// Type tests, compiled by `npm run typecheck` and never run: an adapter written against the public
// entry point alone can implement every hook of `ProtocolAdapter` (`scripts/check-dist.mjs` checks
// the built typings name no type an entry point does not export).
import { expectTypeOf } from 'vitest';
import type { CompiledMatcher, ConnectionStatus, JoinedSubscription, ProtocolAdapter, RawEvent } from '../../src/index.js';

type JoinedHook = NonNullable<ProtocolAdapter['joined']>;
expectTypeOf<Parameters<JoinedHook>[0]>().toEqualTypeOf<JoinedSubscription>();
expectTypeOf<JoinedSubscription['matchers']>().toEqualTypeOf<readonly CompiledMatcher[]>();
expectTypeOf<JoinedSubscription['deliver']>().toEqualTypeOf<(topic: string, event: RawEvent) => boolean>();
// What the hook may use: no more than the public view (the driver's internal subscription stays out).
expectTypeOf<keyof JoinedSubscription>().toEqualTypeOf<'matchers' | 'active' | 'deliver'>();

export const replayLast: JoinedHook = (sub, stream: { readonly seen: Map<string, string>; readonly status: ConnectionStatus } | undefined) => {
  for (const matcher of sub.matchers) {
    const data = stream?.seen.get(matcher.source);
    if (sub.active && data !== undefined) sub.deliver(matcher.source, { id: '', type: 'message', data });
  }
};
