import { describe, expect, it } from 'vitest';
import { discover, discoverHub } from '../../src/index.js';

describe('discovery', () => {
  it('reads rel="mercure" links with last-event-id and content-type, and rel="self"', () => {
    const headers = new Headers({
      Link: '</.well-known/mercure>; rel="mercure"; last-event-id="urn:uuid:42"; content-type="application/merge-patch+json", <https://example.com/books/1>; rel=self, <https://hub2.example/.well-known/mercure>; rel=mercure',
    });
    expect(discover(headers, 'https://example.com/books/1?x=1')).toEqual({
      hubs: [
        { url: 'https://example.com/.well-known/mercure', lastEventId: 'urn:uuid:42', contentType: 'application/merge-patch+json' },
        { url: 'https://hub2.example/.well-known/mercure', lastEventId: undefined, contentType: undefined },
      ],
      topic: 'https://example.com/books/1',
    });
  });

  it('fetches a resource and fails clearly when it advertises no hub', async () => {
    const ok = await discoverHub('https://example.com/books/1', {
      fetch: async () => new Response('{}', { headers: { Link: '<https://example.com/.well-known/mercure>; rel="mercure"' } }),
    });
    expect(ok.hubs[0]?.url).toBe('https://example.com/.well-known/mercure');
    await expect(discoverHub('https://example.com/x', { fetch: async () => new Response('{}') })).rejects.toMatchObject({ code: 'not-found' });
    await expect(discoverHub('https://example.com/x', { fetch: async () => new Response('', { status: 401 }) })).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
