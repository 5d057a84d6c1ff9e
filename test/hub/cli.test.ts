import { describe, expect, it } from 'vitest';
import { FLAGS, envName, helpText, optionsFromFlags, parseFlags, parseKey } from '../../src/hub/node/cliOptions.js';

describe('sse-kit-hub flags', () => {
  it('lists every flag with its environment variable in --help', () => {
    const help = helpText();
    for (const flag of FLAGS) {
      expect(help).toContain(`--${flag.name}`);
      expect(help).toContain(envName(flag.name));
    }
    expect(envName('max-connections-per-client')).toBe('SSE_KIT_HUB_MAX_CONNECTIONS_PER_CLIENT');
  });

  it('defaults to 127.0.0.1:8080, legacy on, anonymous subscribers, CORS for any origin', () => {
    expect(optionsFromFlags(parseFlags([], {}))).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      strict: false,
      legacy: true,
      anonymousSubscribers: true,
      anonymousPublishers: false,
      cors: { origins: '*', credentials: false },
    });
  });

  it('reads the environment, and the command line wins', () => {
    const values = parseFlags(['--port', '9000', '--no-legacy', '--history=50'], { SSE_KIT_HUB_PORT: '7000', SSE_KIT_HUB_HOST: '0.0.0.0', SSE_KIT_HUB_LEGACY: 'true', SSE_KIT_HUB_SUBSCRIPTIONS: '1' });
    expect(optionsFromFlags(values)).toMatchObject({ port: 9000, host: '0.0.0.0', legacy: false, history: 50, subscriptions: true });
  });

  it('turns legacy off in strict mode unless asked', () => {
    expect(optionsFromFlags(parseFlags(['--strict'], {}))).toMatchObject({ strict: true, legacy: false });
    expect(optionsFromFlags(parseFlags(['--strict', '--legacy'], {}))).toMatchObject({ strict: true, legacy: true });
  });

  it('maps limits, CORS origins, issuer and audience lists', () => {
    const options = optionsFromFlags(
      parseFlags(['--max-body', '10', '--max-topics', '2', '--max-matchers', '3', '--max-connections-per-client', '4', '--cors-origins', 'https://a.example, https://b.example', '--cors-credentials', '--audience', 'x,y'], {}),
    );
    expect(options).toMatchObject({
      limits: { bodyBytes: 10, topicsPerPublish: 2, matchersPerSubscription: 3, connectionsPerClient: 4 },
      cors: { origins: ['https://a.example', 'https://b.example'], credentials: true },
      audience: ['x', 'y'],
    });
  });

  it('maps the connection cap, the pattern budget, the idle write timeout and the query-token opt-in', () => {
    const options = optionsFromFlags(parseFlags(['--max-connections', '50', '--max-patterns-per-client', '8', '--max-matchers-per-client', '64', '--idle-write-timeout', '1000', '--query-token'], {}));
    expect(options).toMatchObject({ limits: { connections: 50, patternsPerClient: 8, matchersPerClient: 64 }, idleWriteTimeout: 1000, queryToken: true });
    expect(optionsFromFlags(parseFlags([], {}))).not.toHaveProperty('queryToken');
  });

  it.each([
    [['--nope'], /Unknown flag/],
    [['--port'], /needs a value/],
    [['--port', 'abc'], /non-negative integer/],
    [['--history', '1.5'], /--history: expected a non-negative integer, got "1.5"/],
    [['--port', '-1'], /non-negative integer/],
    [['--strict=maybe'], /true or false/],
    [['stray'], /Unexpected argument/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseFlags(argv, {})).toThrow(message);
  });

  it('reads keys as secrets, PEM, JWKS, JWKS URLs and files', () => {
    expect(parseKey('secret')).toBe('secret');
    expect(parseKey('-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----')).toMatch(/^-----BEGIN/);
    expect(parseKey('https://auth.example/jwks.json')).toEqual({ jwksUrl: 'https://auth.example/jwks.json' });
    expect(parseKey('{"keys":[{"kty":"EC"}]}')).toEqual({ jwks: { keys: [{ kty: 'EC' }] } });
    expect(parseKey('{"kty":"EC"}')).toEqual({ jwks: { keys: [{ kty: 'EC' }] } });
    expect(parseKey('@/keys/pub.txt', (path) => (path === '/keys/pub.txt' ? 'from-file\n' : ''))).toBe('from-file');
  });
});
