// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { MockHub } from '../../src/mock/index.js';
import { openStream, publish, subscribeUrl } from './helpers.js';

describe('MockHub under jsdom', () => {
  it('streams, publishes and honours the AbortSignal of the jsdom window', async () => {
    const hub = new MockHub();
    const stream = await openStream(hub.fetch, subscribeUrl(hub.url, [['match', 'a']]));
    const res = await publish(hub.fetch, hub.url, [['topic', 'a'], ['data', 'from jsdom']]);
    expect((await stream.next()).data).toBe('from jsdom');
    expect(await res.text()).toMatch(/^urn:uuid:/);
    stream.close();
    expect(await stream.ended).toBe('error');
    expect(hub.connections).toBe(0);
  });
});
