import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub } from '../../src/hub/index.js';
import type { CreateHubOptions } from '../../src/hub/index.js';
import { developmentTokenLines, developmentTokens } from '../../src/hub/node/devTokens.js';
import { TEST_KEY, openStream, publish, subscribeUrl } from './helpers.js';

const BOOK = 'https://example.com/books/1';
const root = resolve(import.meta.dirname, '../..');

describe('development tokens of the Node hub', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(options: CreateHubOptions) {
    const hub = await createHub({ port: 0, log: false, ...options });
    cleanups.push(() => hub.close());
    return hub;
  }

  it('have the specification shape: typ at+jwt, mercure authorization details, exp', async () => {
    const { publisher, subscriber } = await developmentTokens({});
    expect(decodeProtectedHeader(publisher ?? '')).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const claims = decodeJwt(publisher ?? '');
    expect(claims.authorization_details).toEqual([
      { type: 'https://mercure.rocks/authorization-detail', actions: ['publish'], topics: [{ match: '*' }] },
      { type: 'https://mercure.rocks/authorization-detail', actions: ['subscribe'], topics: [{ match: '*' }] },
    ]);
    expect(claims.exp).toBeGreaterThan(claims.iat ?? Infinity);
    expect(decodeJwt(subscriber ?? '').authorization_details).toEqual([
      { type: 'https://mercure.rocks/authorization-detail', actions: ['subscribe'], topics: [{ match: '*' }] },
    ]);
  });

  it('publish and receive private updates on a hub with the development defaults, and in strict mode with its iss and aud', async () => {
    const configurations: CreateHubOptions[] = [
      {},
      { strict: true, legacy: false, anonymousSubscribers: false, issuer: 'https://auth.example', audience: ['https://hub.example', 'x'] },
    ];
    for (const [index, options] of configurations.entries()) {
      const hub = await start(options);
      const { publisher, subscriber } = await developmentTokens(options);
      for (const token of [subscriber, publisher]) {
        const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', BOOK]]), { headers: { authorization: `Bearer ${token}` } });
        cleanups.push(() => stream.close());
        const id = `private-${index}-${token === publisher ? 'p' : 's'}`;
        const res = await publish(fetch, hub.url, [['topic', BOOK], ['data', 'secret'], ['private', 'on'], ['id', id]], publisher);
        expect(res.status).toBe(200);
        expect(await stream.next()).toMatchObject({ id, data: 'secret' });
      }
    }
  });

  it('are only made for the roles that use the development key', async () => {
    expect(await developmentTokens({ publisherKey: TEST_KEY })).not.toHaveProperty('publisher');
    expect(await developmentTokens({ publisherKey: TEST_KEY })).not.toHaveProperty('subscriber');
    const ownSubscriberKey = await developmentTokens({ subscriberKey: TEST_KEY });
    expect(ownSubscriberKey).not.toHaveProperty('subscriber');
    expect(decodeJwt(ownSubscriberKey.publisher ?? '').authorization_details).toEqual([
      { type: 'https://mercure.rocks/authorization-detail', actions: ['publish'], topics: [{ match: '*' }] },
    ]);
    expect(developmentTokenLines(await developmentTokens({ publisherKey: TEST_KEY }), 'http://hub')).toEqual([]);
  });

  it('are printed by `npm run hub` (the CLI) when it runs with the development key', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/hub/cli.ts', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill('SIGKILL'));
    let output = '';
    const token = await new Promise<string>((resolveToken, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /publisher \(publish and subscribe[^\n]*\n\s+(\S+)\n/.exec(output);
        if (match?.[1] !== undefined) resolveToken(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`the hub exited (${code}) before printing a token:\n${output}`)));
    });
    const url = /listening on (\S+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    const res = await publish(fetch, url ?? '', [['topic', BOOK], ['data', 'hello']], token);
    expect(res.status).toBe(200);
  }, 60_000);
});
