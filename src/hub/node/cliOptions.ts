import { readFileSync } from 'node:fs';
import type { HubKey } from '../engine/types.js';
import type { CreateHubOptions } from './createHub.js';
import { isRedisUrl } from './openTransport.js';

type FlagKind = 'string' | 'number' | 'boolean';

interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly description: string;
  readonly defaultText?: string;
}

/** Every flag of `sse-kit-hub`. Each also reads `SSE_KIT_HUB_<NAME>` (upper snake case). */
export const FLAGS: readonly FlagSpec[] = [
  { name: 'port', kind: 'number', description: 'Port to listen on (0 picks a free port).', defaultText: '8080' },
  { name: 'host', kind: 'string', description: 'Interface to listen on.', defaultText: '127.0.0.1' },
  { name: 'public-url', kind: 'string', description: 'URL clients use to reach the hub, when behind a proxy.' },
  {
    name: 'publisher-key',
    kind: 'string',
    description: 'Key verifying publisher tokens: an HS256 secret, a PEM public key (RS256/ES256), a JWKS (JSON), a JWKS URL, or @file.',
    defaultText: 'the Mercure development key (warns)',
  },
  { name: 'subscriber-key', kind: 'string', description: 'Key verifying subscriber tokens (same forms).', defaultText: 'the publisher key' },
  { name: 'issuer', kind: 'string', description: 'Accepted token issuers (comma-separated); checked when set.' },
  { name: 'audience', kind: 'string', description: "The hub's resource identifier(s), required in token aud (comma-separated)." },
  { name: 'strict', kind: 'boolean', description: 'Strict tokens (exp required, typ at+jwt) and no legacy wire format unless --legacy.', defaultText: 'false' },
  { name: 'legacy', kind: 'boolean', description: 'Accept the legacy 0.x wire format (topic=, URI templates, mercure claim).', defaultText: 'true (false with --strict)' },
  { name: 'anonymous', kind: 'boolean', description: 'Allow subscribers without a token (public updates only).', defaultText: 'true' },
  { name: 'anonymous-publishers', kind: 'boolean', description: 'Allow publishing without a token (trusted networks only).', defaultText: 'false' },
  { name: 'cors-origins', kind: 'string', description: 'Allowed CORS origins (comma-separated) or * for any.', defaultText: '*' },
  { name: 'cors-credentials', kind: 'boolean', description: 'Allow credentials (cookies) cross-origin; needs explicit origins.', defaultText: 'false' },
  {
    name: 'transport',
    kind: 'string',
    description: 'Where updates, history and presence live: memory (one process) or redis://host:port/db (several processes on Redis Streams).',
    defaultText: 'memory',
  },
  { name: 'history', kind: 'number', description: 'Updates kept for resumption (0 disables).', defaultText: '1000' },
  { name: 'subscriptions', kind: 'boolean', description: 'Publish subscription events and serve the subscriptions API.', defaultText: 'false' },
  { name: 'heartbeat', kind: 'number', description: 'Heartbeat comment interval in ms (0 disables).', defaultText: '15000' },
  { name: 'connection-lifetime', kind: 'number', description: 'Close subscriptions older than this many ms (0: never).', defaultText: '0' },
  { name: 'idle-write-timeout', kind: 'number', description: 'Drop a subscription whose socket has not drained for this many ms (0: never).', defaultText: '30000' },
  { name: 'query-token', kind: 'boolean', description: 'Accept a token in the access_token query parameter (it ends up in logs; 400 when off).', defaultText: 'false' },
  { name: 'max-body', kind: 'number', description: 'Maximum publish body size in bytes (413 above).', defaultText: '1048576' },
  { name: 'max-topics', kind: 'number', description: 'Maximum topics per publish (413 above).', defaultText: '32' },
  { name: 'max-matchers', kind: 'number', description: 'Maximum topic matchers per subscription (400 above).', defaultText: '4096' },
  { name: 'max-connections-per-client', kind: 'number', description: 'Maximum live connections per client (429 above).', defaultText: '256' },
  { name: 'max-connections', kind: 'number', description: 'Maximum live connections in total (429 above).', defaultText: '10000' },
  { name: 'max-matchers-per-client', kind: 'number', description: 'Maximum topic matchers per client across its connections (429 above).', defaultText: '16384' },
  { name: 'max-patterns-per-client', kind: 'number', description: 'Maximum distinct URL patterns and templates per client (429 above).', defaultText: '256' },
  { name: 'verbose', kind: 'boolean', description: 'Also log every successful publish.', defaultText: 'false' },
  { name: 'quiet', kind: 'boolean', description: 'Log nothing.', defaultText: 'false' },
  { name: 'help', kind: 'boolean', description: 'Print this help and exit.' },
  { name: 'version', kind: 'boolean', description: 'Print the version and exit.' },
];

/** The environment variable of a flag, e.g. `SSE_KIT_HUB_PORT`. */
export function envName(flag: string): string {
  return `SSE_KIT_HUB_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** The `--help` text. */
export function helpText(): string {
  const lines = ['Usage: sse-kit-hub [flags]', '', 'A Mercure hub for development, tests and small deployments.', '', 'Flags (each also read from the environment variable shown):'];
  for (const flag of FLAGS) {
    const left = `  --${flag.name}${flag.kind === 'boolean' ? '' : ' <value>'}`;
    lines.push(`${left.padEnd(40)} ${flag.description}`);
    lines.push(`${''.padEnd(40)} env ${envName(flag.name)}${flag.defaultText === undefined ? '' : `, default ${flag.defaultText}`}`);
  }
  lines.push('', 'Booleans accept --flag, --no-flag and --flag=true|false.');
  return lines.join('\n');
}

/** Raw flag values after merging the command line over the environment. */
export type FlagValues = Partial<Record<string, string | number | boolean>>;

function convert(flag: FlagSpec, raw: string, source: string): string | number | boolean {
  if (flag.kind === 'string') return raw;
  if (flag.kind === 'number') {
    // Every number flag is a count, a size, a port or milliseconds.
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${source}: expected a non-negative integer, got "${raw}".`);
    return value;
  }
  const lower = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  throw new Error(`${source}: expected true or false, got "${raw}".`);
}

/**
 * Parses the command line over the environment (command line wins).
 * @throws Error on an unknown flag or a bad value.
 */
export function parseFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): FlagValues {
  const values: FlagValues = {};
  for (const flag of FLAGS) {
    const raw = env[envName(flag.name)];
    if (raw !== undefined && raw !== '') values[flag.name] = convert(flag, raw, envName(flag.name));
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}". Run with --help.`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let negated = false;
    let flag = FLAGS.find((f) => f.name === name);
    if (flag === undefined && name.startsWith('no-')) {
      flag = FLAGS.find((f) => f.name === name.slice(3) && f.kind === 'boolean');
      negated = flag !== undefined;
      if (negated) name = name.slice(3);
    }
    if (flag === undefined) throw new Error(`Unknown flag "--${name}". Run with --help.`);
    if (flag.kind === 'boolean') {
      values[name] = eq === -1 ? !negated : convert(flag, arg.slice(eq + 1), `--${name}`) !== negated;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else raw = argv[++i];
    if (raw === undefined) throw new Error(`--${name} needs a value.`);
    values[name] = convert(flag, raw, `--${name}`);
  }
  return values;
}

/**
 * Reads a key argument: `@path` reads a file; `http(s)://…` is a JWKS URL; JSON is a JWKS (or one
 * JWK); a PEM is a public key; anything else is an HS256 secret.
 */
export function parseKey(value: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): HubKey {
  if (value.startsWith('@')) return parseKey(readFile(value.slice(1)).trim(), readFile);
  if (/^https?:\/\//.test(value)) return { jwksUrl: value };
  if (value.trimStart().startsWith('{')) {
    const json = JSON.parse(value) as { keys?: unknown };
    return { jwks: (Array.isArray(json.keys) ? json : { keys: [json] }) as { keys: never[] } };
  }
  return value;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * Turns flag values into {@link createHub} options.
 * @throws Error on a value the flags cannot express (e.g. an unknown transport).
 */
export function optionsFromFlags(values: FlagValues): CreateHubOptions {
  const str = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const num = (name: string): number | undefined => (typeof values[name] === 'number' ? (values[name] as number) : undefined);
  const bool = (name: string): boolean | undefined => (typeof values[name] === 'boolean' ? (values[name] as boolean) : undefined);
  const strict = bool('strict') ?? false;
  const limits: Record<string, number> = {};
  const setLimit = (flag: string, key: string): void => {
    const value = num(flag);
    if (value !== undefined) limits[key] = value;
  };
  setLimit('max-body', 'bodyBytes');
  setLimit('max-topics', 'topicsPerPublish');
  setLimit('max-matchers', 'matchersPerSubscription');
  setLimit('max-connections-per-client', 'connectionsPerClient');
  setLimit('max-connections', 'connections');
  setLimit('max-patterns-per-client', 'patternsPerClient');
  setLimit('max-matchers-per-client', 'matchersPerClient');
  const origins = str('cors-origins');
  const options: Record<string, unknown> = {
    port: num('port') ?? 8080,
    host: str('host') ?? '127.0.0.1',
    strict,
    legacy: bool('legacy') ?? !strict,
    anonymousSubscribers: bool('anonymous') ?? true,
    anonymousPublishers: bool('anonymous-publishers') ?? false,
    subscriptions: bool('subscriptions') ?? false,
    cors: { origins: origins === undefined || origins === '*' ? '*' : list(origins), credentials: bool('cors-credentials') ?? false },
    limits,
  };
  const publicUrl = str('public-url');
  if (publicUrl !== undefined) options['publicUrl'] = publicUrl;
  const publisherKey = str('publisher-key');
  if (publisherKey !== undefined) options['publisherKey'] = parseKey(publisherKey);
  const subscriberKey = str('subscriber-key');
  if (subscriberKey !== undefined) options['subscriberKey'] = parseKey(subscriberKey);
  const issuer = str('issuer');
  if (issuer !== undefined) options['issuer'] = list(issuer);
  const audience = str('audience');
  if (audience !== undefined) options['audience'] = list(audience);
  const transport = str('transport');
  if (transport !== undefined) {
    if (transport !== 'memory' && !isRedisUrl(transport)) throw new Error(`--transport: expected memory or redis://host:port/db, got "${transport}".`);
    options['transport'] = transport;
  }
  const history = num('history');
  if (history !== undefined) options['history'] = history;
  const heartbeat = num('heartbeat');
  if (heartbeat !== undefined) options['heartbeat'] = heartbeat;
  const lifetime = num('connection-lifetime');
  if (lifetime !== undefined) options['connectionLifetime'] = lifetime;
  const idleWriteTimeout = num('idle-write-timeout');
  if (idleWriteTimeout !== undefined) options['idleWriteTimeout'] = idleWriteTimeout;
  const queryToken = bool('query-token');
  if (queryToken !== undefined) options['queryToken'] = queryToken;
  return options as CreateHubOptions;
}
