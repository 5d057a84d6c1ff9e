import { describe, expect, it } from 'vitest';
import {
  SseAuthError,
  SseError,
  SseGapError,
  SseNetworkError,
  SseParseError,
  SseProtocolError,
  SseRateLimitError,
  SseUnroutableError,
  errorFromResponse,
} from '../../../src/core/errors.js';
import { readTabMessage, toShared } from '../../../src/core/tabs/messages.js';
import { fromShared } from '../../../src/core/tabs/sharedError.js';

const state = { status: 'error', retries: 2, keys: ['t:/a'], stream: 'tab:1', hidden: false };

/** An error of the leader's stream as a follower gets it: through the channel (a structured clone), read, rebuilt. */
function across(error: SseError): SseError | undefined {
  const message = readTabMessage(structuredClone({ t: 'state', from: 'leader', state: { ...state, error: toShared(error) } }));
  const shared = message?.t === 'state' ? message.state.error : undefined;
  return shared && fromShared(shared);
}

describe('errors of the leader stream across the channel', () => {
  const cases: Array<[string, SseError, new (...args: never[]) => SseError]> = [
    ['401', errorFromResponse(new Response('', { status: 401 }), 'Subscribing'), SseAuthError],
    ['credentials', new SseAuthError('credentials', 'The headers function threw.', { hint: 'Fix it.' }), SseAuthError],
    ['429 with Retry-After', errorFromResponse(new Response('', { status: 429, headers: { 'retry-after': '7' } }), 'Subscribing'), SseRateLimitError],
    ['503 with Retry-After', errorFromResponse(new Response('', { status: 503, headers: { 'retry-after': '3' } }), 'Subscribing'), SseError],
    ['timeout', new SseNetworkError('No data from the hub for 45000 ms.', { code: 'timeout', hint: 'The stream was restarted.' }), SseNetworkError],
    ['cors', new SseNetworkError('The browser refused it.', { code: 'cors' }), SseNetworkError],
    ['protocol', new SseProtocolError('Not an event stream.', { hint: 'Check the url.' }), SseProtocolError],
    ['parse', new SseParseError('Bad payload.'), SseParseError],
    ['gap (known)', new SseGapError('urn:1', 'earliest', 'known'), SseGapError],
    ['gap (unknown, no cursor)', new SseGapError(undefined, undefined, 'unknown'), SseGapError],
  ];
  for (const [name, error, type] of cases) {
    it(`a follower rebuilds the leader's ${name} error: same class, code, message, hint, status and retryAfter`, () => {
      const rebuilt = across(error);
      expect(rebuilt).toBeInstanceOf(type);
      expect(rebuilt).toMatchObject({ name: error.name, code: error.code, message: error.message, hint: error.hint, status: error.status, retryAfter: error.retryAfter });
      if (error instanceof SseGapError) expect(rebuilt).toMatchObject({ requested: error.requested, resumedFrom: error.resumedFrom, extent: error.extent });
    });
  }

  it('an error whose class needs what does not cross (unroutable: its topic), or of a code this build does not know, is left out', () => {
    expect(across(new SseUnroutableError('/a', 'No topic.'))).toBeUndefined();
    // A newer build's code.
    expect(fromShared({ code: 'teapot', message: 'x' })).toBeUndefined();
  });
});

describe('readTabMessage', () => {
  it('reads a state of an older build (no error) as it is', () => {
    const message = { t: 'state', from: 'old', state };
    expect(readTabMessage(message)).toBe(message);
  });

  it('leaves out an error it cannot read (malformed), keeping the state', () => {
    for (const error of [
      { code: 3, message: 'x' },
      { code: 'network' },
      { code: 'network', message: 'x', status: '500' },
      { code: 'network', message: 'x', hint: 3 },
      { code: 'network', message: 'x', extent: 'known' },
      { code: 'gap', message: 'x' },
      { code: 'gap', message: 'x', extent: 'sideways' },
      { code: 'gap', message: 'x', extent: 'known', requested: 1 },
      'network',
      null,
    ]) {
      expect(readTabMessage({ t: 'state', from: 'new', state: { ...state, error } })).toEqual({ t: 'state', from: 'new', state: { ...state, error: undefined } });
    }
  });

  it('reads a gap; ignores one that is no gap or cannot be read', () => {
    const gap = { t: 'gap', from: 'leader', error: toShared(new SseGapError('urn:1', 'urn:0', 'known')) };
    expect(readTabMessage(gap)).toBe(gap);
    for (const error of [toShared(new SseNetworkError('x')), { code: 'gap', message: 'x' }, undefined]) {
      expect(readTabMessage({ t: 'gap', from: 'leader', error })).toBeUndefined();
    }
  });
});
