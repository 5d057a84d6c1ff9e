/**
 * `npm run bench:hub`: 1,000 SSE subscribers on loopback and 10,000 published updates, against
 * the sse-kit hub and against a minimal Express relay like the ones users write by hand. Each
 * server runs in its own child process, so its CPU time and peak memory are its own; the load
 * (subscribers and publishers) runs here, identical for both. Then the same load against two hub
 * processes on Redis Streams (subscribers and publishes split between them), compared with the
 * in-memory hub, and the equal-load rounds that judge it (`BENCH_PHASE=redis` runs only the
 * in-memory hub and this part, `BENCH_PHASE=equal` only the rounds). Bounded in time, loopback only.
 *
 * Then the pattern phase: publish latency, and the latency of an unrelated `GET /` during it,
 * with 64 connections × 256 distinct `match_urlpattern` subscribed, against the same hub with
 * none (`BENCH_PHASE=patterns` runs only this phase).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Agent, get, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { readFileSync } from 'node:fs';
import type { ServerStats } from './hub/serverStats.js';
import { formatTable, median } from './util.js';
import { startRedis } from '../test/hub/redis/redisServer.js';
import type { TestRedis } from '../test/hub/redis/redisServer.js';

const SUBSCRIBERS = Number(process.env['BENCH_SUBSCRIBERS'] ?? 1000);
const UPDATES = Number(process.env['BENCH_UPDATES'] ?? 10_000);
const TOPICS = Number(process.env['BENCH_TOPICS'] ?? 10);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const WARMUP = 300;
/** Latency phase: updates published at a steady rate every server sustains, open loop. */
const PACED = Number(process.env['BENCH_PACED'] ?? 600);
const PACED_RATE = Number(process.env['BENCH_PACED_RATE'] ?? 100);
/** The steady phase: a rate both deployments sustain on a small machine, ten times the latency phase's. */
const STEADY = Number(process.env['BENCH_STEADY'] ?? 3000);
const STEADY_RATE = Number(process.env['BENCH_STEADY_RATE'] ?? 1000);
/** Sequence numbers of every phase: throughput, warm-up, latency (paced), steady. */
const ALL = UPDATES + WARMUP + PACED + STEADY;
const TIME_LIMIT_MS = Number(process.env['BENCH_TIME_LIMIT'] ?? 420_000);
/** Extra Node flags of the server processes, e.g. `BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` to profile them. */
const SERVER_NODE_ARGS = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
const KEY = 'bench-key-0123456789abcdef0123456789';
const PADDING = 'x'.repeat(96);
const here = dirname(fileURLToPath(import.meta.url));
const EMPTY = Buffer.alloc(0);
const SEPARATOR = Buffer.from('\n\n');
const DATA = Buffer.from('data: ');

interface Target {
  readonly name: string;
  readonly script: string;
  readonly matchParam: 'match' | 'topic';
  readonly token: string | undefined;
  /** Server processes sharing the load (subscribers and publishes spread over them, see `portFor`). Default 1. */
  readonly processes?: number;
  /** Extra environment of the server processes. */
  readonly env?: Readonly<Record<string, string>>;
  /** CPU time (µs) of a helper process the servers rely on (Redis), counted beside theirs. */
  readonly helperCpu?: () => number;
  /** Runs the steady phase (the Redis comparison's; above what the relay sustains). Default true. */
  readonly steady?: boolean;
}

interface Result {
  readonly name: string;
  readonly deliveries: number;
  readonly expected: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly pacedDelivered: number;
  readonly saturatedP50: number;
  readonly saturatedP99: number;
  readonly cpuPerDelivery: number;
  /** CPU µs per delivery of the helper process (Redis), when there is one. */
  readonly helperCpuPerDelivery: number | undefined;
  /** Server CPU µs per delivery in the paced phase: the same rate for every server, so batching does not depend on its throughput. */
  readonly pacedCpuPerDelivery: number;
  /** Same for the helper process. */
  readonly pacedHelperCpuPerDelivery: number | undefined;
  /** Server CPU µs per delivery in the steady phase ({@link STEADY_RATE} updates/s, the same for every server); NaN when it did not run. */
  readonly steadyCpuPerDelivery: number;
  /** Same for the helper process. */
  readonly steadyHelperCpuPerDelivery: number | undefined;
  readonly serverBusy: number;
  readonly clientBusy: number;
  /** Peak RSS of the largest server process. */
  readonly peakRss: number;
  readonly peakRssPerProcess: readonly number[];
  /** Updates a subscriber should have received and did not (every phase). */
  readonly lost: number;
  /** Updates a subscriber received more than once. */
  readonly duplicated: number;
}

const topicOf = (n: number): string => `https://example.com/rooms/${n % TOPICS}`;

/**
 * The process the n-th subscriber or publish goes to, as a load balancer that knows nothing of topics
 * would send it: the subscribers and the publishes of every topic are spread over all processes.
 * (`n % processes` would tie topic and process together: with 2 processes and 10 topics, a topic's
 * subscribers and publishes would all land on one process, and the other would read each of its
 * updates for nobody.)
 */
const portFor = (ports: readonly number[], n: number): number => ports[Math.floor(n / TOPICS) % ports.length] ?? 0;

function startServer(script: string, env: Readonly<Record<string, string>> = {}): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(script, [], { execArgv: ['--import', 'tsx', ...SERVER_NODE_ARGS], env: { ...process.env, ...env, BENCH_KEY: KEY }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolvePort, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', (message: { type: string; port?: number }) => {
      if (message.type === 'ready' && message.port !== undefined) resolvePort({ child, port: message.port });
    });
  });
}

/** Asks a server child to stop; kills it when it has not exited within 5 s. */
function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    child.send({ type: 'stop' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
  });
}

function ask<T>(child: ChildProcess, type: 'mark' | 'stats', reply: string): Promise<T> {
  return new Promise((resolveReply) => {
    const onMessage = (message: { type: string } & T): void => {
      if (message.type !== reply) return;
      child.off('message', onMessage);
      resolveReply(message);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

/**
 * Counts deliveries. Sequence numbers tell the phases apart: `[0, UPDATES)` is the throughput
 * phase, then the warm-up, then the paced latency phase, then the steady phase.
 */
class Recorder {
  /** Sequence numbers this recorder takes: `[0, size)`. */
  readonly #size: number;
  readonly sentAt: Float64Array;
  readonly throughputLatencies: number[] = [];
  readonly pacedLatencies: number[] = [];
  steadyDelivered = 0;
  seen = 0;
  duplicated = 0;
  lastAt = 0;
  /** Per subscriber, which sequence numbers it received. */
  readonly #received: Uint8Array[] = [];
  #waiter: (() => void) | undefined;
  #target = Number.POSITIVE_INFINITY;

  constructor(size = ALL) {
    this.#size = size;
    this.sentAt = new Float64Array(size);
  }

  record(seq: number, subscriber: number): void {
    const now = performance.now();
    const received = (this.#received[subscriber] ??= new Uint8Array(this.#size));
    if (received[seq] === 1) {
      this.duplicated++;
      return;
    }
    received[seq] = 1;
    this.seen++;
    if (seq < UPDATES) {
      this.throughputLatencies.push(now - (this.sentAt[seq] ?? now));
      this.lastAt = now;
    } else if (seq >= UPDATES + WARMUP + PACED) {
      this.steadyDelivered++;
    } else if (seq >= UPDATES + WARMUP) {
      this.pacedLatencies.push(now - (this.sentAt[seq] ?? now));
    }
    if (this.seen >= this.#target) this.#waiter?.();
  }

  /** Resolves once `target` deliveries were seen in total (or after `timeout`). */
  until(target: number, timeout: number): Promise<void> {
    this.#target = target;
    return new Promise((done) => {
      const timer = setTimeout(done, timeout);
      this.#waiter = () => {
        clearTimeout(timer);
        this.#waiter = undefined;
        done();
      };
      if (this.seen >= target) this.#waiter();
    });
  }
}

function subscribe(port: number, target: Target, index: number, recorder: Recorder, agent: Agent): Promise<IncomingMessage> {
  const url = `http://127.0.0.1:${port}/.well-known/mercure?${target.matchParam}=${encodeURIComponent(topicOf(index))}`;
  return new Promise((resolveResponse, reject) => {
    const req = get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${target.name}: subscribe answered ${res.statusCode}`));
        return;
      }
      // Bytes, not strings: the load generator must stay cheaper than the servers it measures.
      let rest: Buffer = EMPTY;
      res.on('data', (chunk: Buffer) => {
        const buffer = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
        let start = 0;
        let end = buffer.indexOf(SEPARATOR, start);
        while (end !== -1) {
          const at = buffer.indexOf(DATA, start);
          if (at !== -1 && at < end) {
            let seq = 0;
            for (let i = at + DATA.length; i < end; i++) {
              const digit = (buffer[i] ?? 0) - 48;
              if (digit < 0 || digit > 9) break;
              seq = seq * 10 + digit;
            }
            recorder.record(seq, index);
          }
          start = end + 2;
          end = buffer.indexOf(SEPARATOR, start);
        }
        rest = start < buffer.length ? buffer.subarray(start) : EMPTY;
      });
      res.on('error', () => {});
      resolveResponse(res);
    });
    req.on('error', reject);
  });
}

function publishOne(port: number, target: Target, seq: number, agent: Agent): Promise<void> {
  const body = `topic=${encodeURIComponent(topicOf(seq))}&data=${seq}%20${PADDING}`;
  const headers: Record<string, string | number> = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
  if (target.token !== undefined) headers['authorization'] = `Bearer ${target.token}`;
  return new Promise((done, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/.well-known/mercure', method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? done() : reject(new Error(`${target.name}: publish answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.on('socket', (socket) => socket.setNoDelay(true));
    req.end(body);
  });
}

async function publishAll(ports: readonly number[], target: Target, first: number, count: number, recorder: Recorder, agent: Agent): Promise<void> {
  let next = first;
  const last = first + count;
  const worker = async (): Promise<void> => {
    while (next < last) {
      const seq = next++;
      recorder.sentAt[seq] = performance.now();
      await publishOne(portFor(ports, seq), target, seq, agent);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function publishPaced(ports: readonly number[], target: Target, first: number, count: number, rate: number, recorder: Recorder, agent: Agent): Promise<void> {
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const seq = first + i;
    recorder.sentAt[seq] = performance.now();
    const published = publishOne(portFor(ports, seq), target, seq, agent);
    // Awaited below; a failure must not surface as an unhandled rejection meanwhile.
    published.catch(() => undefined);
    inFlight.push(published);
  }
  await Promise.all(inFlight);
}

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** A deployment under load: its server processes, its subscribers (connected), its publisher sockets. */
interface Deployment {
  readonly target: Target;
  readonly servers: readonly { readonly child: ChildProcess; readonly port: number }[];
  readonly ports: readonly number[];
  readonly recorder: Recorder;
  readonly publisherAgent: Agent;
  /** Stops the subscribers, the publishers and the server processes. */
  dispose(): Promise<void>;
}

/** Starts `target`'s server processes and connects {@link SUBSCRIBERS} subscribers, spread over them. */
async function deploy(target: Target, recorder: Recorder): Promise<Deployment> {
  const servers = await Promise.all(Array.from({ length: target.processes ?? 1 }, () => startServer(target.script, target.env)));
  const ports = servers.map((server) => server.port);
  const subscriberAgent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const publisherAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const responses: IncomingMessage[] = [];
  const dispose = async (): Promise<void> => {
    for (const res of responses) res.destroy();
    subscriberAgent.destroy();
    publisherAgent.destroy();
    await Promise.all(servers.map(({ child }) => stopServer(child)));
  };
  try {
    for (let i = 0; i < SUBSCRIBERS; i += 100) {
      const batch = Array.from({ length: Math.min(100, SUBSCRIBERS - i) }, (_, k) => subscribe(portFor(ports, i + k), target, i + k, recorder, subscriberAgent));
      responses.push(...(await Promise.all(batch)));
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return { target, servers, ports, recorder, publisherAgent, dispose };
}

/** Server CPU µs since the servers' last mark, summed over them, and the helper's (Redis) since `helperStart`. */
async function cpuSince(d: Deployment, helperStart: number | undefined): Promise<{ readonly stats: ServerStats[]; readonly micros: number; readonly helper: number | undefined }> {
  const stats = (await Promise.all(d.servers.map(({ child }) => ask<{ stats: ServerStats }>(child, 'stats', 'stats')))).map((reply) => reply.stats);
  const helper = helperStart === undefined ? undefined : (d.target.helperCpu?.() ?? helperStart) - helperStart;
  return { stats, micros: stats.reduce((sum, s) => sum + s.cpuMicros, 0), helper };
}

/** Starts CPU accounting in the servers; returns the helper's CPU time now. */
async function mark(d: Deployment): Promise<number | undefined> {
  await Promise.all(d.servers.map(({ child }) => ask(child, 'mark', 'marked')));
  return d.target.helperCpu?.();
}

async function run(target: Target): Promise<Result> {
  const recorder = new Recorder();
  const d = await deploy(target, recorder);
  const { ports, publisherAgent } = d;
  try {
    const perUpdate = SUBSCRIBERS / TOPICS;
    // Warm-up (not measured): JIT, sockets, buffers.
    await publishAll(ports, target, UPDATES, WARMUP, recorder, publisherAgent);
    await recorder.until(WARMUP * perUpdate, 10_000);
    // Throughput: publishers as fast as the server answers.
    const expected = UPDATES * perUpdate;
    const helperStart = await mark(d);
    const started = performance.now();
    const clientCpu = process.cpuUsage();
    await publishAll(ports, target, 0, UPDATES, recorder, publisherAgent);
    await recorder.until((WARMUP + UPDATES) * perUpdate, 60_000);
    const throughput = await cpuSince(d, helperStart);
    const clientUsed = process.cpuUsage(clientCpu);
    const seconds = (recorder.lastAt - started) / 1000;
    const delivered = recorder.throughputLatencies.length;
    // Latency: a steady rate, the same for every server.
    const pacedHelperStart = await mark(d);
    await publishPaced(ports, target, UPDATES + WARMUP, PACED, PACED_RATE, recorder, publisherAgent);
    await recorder.until((WARMUP + UPDATES + PACED) * perUpdate, 20_000);
    const paced = await cpuSince(d, pacedHelperStart);
    const pacedDeliveries = Math.max(1, recorder.pacedLatencies.length);
    // Steady: a rate ten times higher, the same for every server (CPU per delivery at equal load).
    const steady = target.steady === false ? 0 : STEADY;
    const steadyHelperStart = await mark(d);
    await publishPaced(ports, target, UPDATES + WARMUP + PACED, steady, STEADY_RATE, recorder, publisherAgent);
    await recorder.until((UPDATES + WARMUP + PACED + steady) * perUpdate, 20_000);
    const steadyUsed = await cpuSince(d, steadyHelperStart);
    const steadyDeliveries = Math.max(1, recorder.steadyDelivered);
    // Late deliveries would show as duplicates or close the loss: let in-flight bytes land.
    await new Promise((r) => setTimeout(r, 500));
    const pacedLatencies = Float64Array.from(recorder.pacedLatencies).sort();
    const saturated = Float64Array.from(recorder.throughputLatencies).sort();
    return {
      name: target.name,
      deliveries: delivered,
      expected,
      seconds,
      perSecond: delivered / seconds,
      p50: percentile(pacedLatencies, 50),
      p99: percentile(pacedLatencies, 99),
      pacedDelivered: pacedLatencies.length,
      saturatedP50: percentile(saturated, 50),
      saturatedP99: percentile(saturated, 99),
      cpuPerDelivery: throughput.micros / Math.max(1, delivered),
      helperCpuPerDelivery: throughput.helper === undefined ? undefined : throughput.helper / Math.max(1, delivered),
      pacedCpuPerDelivery: paced.micros / pacedDeliveries,
      pacedHelperCpuPerDelivery: paced.helper === undefined ? undefined : paced.helper / pacedDeliveries,
      steadyCpuPerDelivery: steady === 0 ? Number.NaN : steadyUsed.micros / steadyDeliveries,
      steadyHelperCpuPerDelivery: steadyUsed.helper === undefined ? undefined : steadyUsed.helper / steadyDeliveries,
      serverBusy: throughput.micros / 1e6 / seconds,
      clientBusy: (clientUsed.user + clientUsed.system) / 1e6 / seconds,
      peakRss: Math.max(...throughput.stats.map((s) => s.peakRss)),
      peakRssPerProcess: throughput.stats.map((s) => s.peakRss),
      lost: (UPDATES + WARMUP + PACED + steady) * perUpdate - recorder.seen,
      duplicated: recorder.duplicated,
    };
  } finally {
    await d.dispose();
  }
}

/** Results as a table; the last row gives the first result over the second. */
function table(results: readonly Result[], ratioLabel: string): string {
  const [hub, relay] = results;
  const ms = (n: number): string => n.toFixed(1);
  const rows = results.map((r) => [
    r.name,
    `${r.deliveries}/${r.expected}`,
    Math.round(r.perSecond).toLocaleString('en-US'),
    `${ms(r.saturatedP50)} / ${ms(r.saturatedP99)}`,
    `${ms(r.p50)} / ${ms(r.p99)}`,
    r.cpuPerDelivery.toFixed(2),
    `${Math.round(r.serverBusy * 100)}%`,
    `${Math.round(r.clientBusy * 100)}%`,
    r.peakRssPerProcess.map((rss) => (rss / 1024 / 1024).toFixed(0)).join(' + '),
    `${r.lost} / ${r.duplicated}`,
  ]);
  if (hub && relay) {
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    rows.push([
      ratioLabel,
      '',
      ratio(hub.perSecond, relay.perSecond),
      `${ratio(hub.saturatedP50, relay.saturatedP50)} / ${ratio(hub.saturatedP99, relay.saturatedP99)}`,
      `${ratio(hub.p50, relay.p50)} / ${ratio(hub.p99, relay.p99)}`,
      ratio(hub.cpuPerDelivery, relay.cpuPerDelivery),
      '',
      '',
      ratio(hub.peakRss, relay.peakRss),
      '',
    ]);
  }
  const header = [
    'server',
    'deliveries',
    'deliveries/s',
    'saturated p50/p99 ms',
    `${PACED_RATE}/s p50/p99 ms`,
    'server CPU µs/delivery',
    'server CPU',
    'load CPU',
    'peak RSS MB',
    'lost / dup',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const PATTERN_CONNECTIONS = 64;
const PATTERNS_PER_CONNECTION = 256;
const PATTERN_PUBLISHES = Number(process.env['BENCH_PATTERN_PUBLISHES'] ?? 200);

interface LatencyFigures {
  readonly publish: Float64Array;
  readonly status: Float64Array;
}

function timedGet(port: number, agent: Agent): Promise<number> {
  const started = performance.now();
  return new Promise((done, reject) => {
    get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => done(performance.now() - started));
    }).on('error', reject);
  });
}

/**
 * Sequential publishes, timed, while `GET /` is requested back to back on another connection.
 * Every topic is new (`topicOf(i)`), so no dispatch is answered from the matchers' caches.
 */
async function measureLatency(port: number, target: Target, topicOf: (i: number) => string, agent: Agent): Promise<LatencyFigures> {
  for (let i = 0; i < 20; i++) await publishTopic(port, target, `/warm-up/${i}`, agent);
  const publishes: number[] = [];
  const pages: number[] = [];
  let running = true;
  const statusAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const poller = (async () => {
    while (running) pages.push(await timedGet(port, statusAgent));
  })();
  for (let i = 0; i < PATTERN_PUBLISHES; i++) {
    const started = performance.now();
    await publishTopic(port, target, topicOf(i), agent);
    publishes.push(performance.now() - started);
  }
  running = false;
  await poller;
  statusAgent.destroy();
  return { publish: Float64Array.from(publishes).sort(), status: Float64Array.from(pages).sort() };
}

function publishTopic(port: number, target: Target, topic: string, agent: Agent): Promise<void> {
  const body = `topic=${encodeURIComponent(topic)}&data=x`;
  const headers: Record<string, string | number> = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
  if (target.token !== undefined) headers['authorization'] = `Bearer ${target.token}`;
  return new Promise((done, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/.well-known/mercure', method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? done() : reject(new Error(`publish answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens one subscription with `PATTERNS_PER_CONNECTION` distinct URL patterns; resolves with its status. */
function subscribePatterns(port: number, connection: number, token: string, agent: Agent, open: IncomingMessage[]): Promise<number> {
  const params = new URLSearchParams();
  for (let i = 0; i < PATTERNS_PER_CONNECTION; i++) params.append('match_urlpattern', `/c${connection}/p${i}/:id`);
  return new Promise((done, reject) => {
    get({ host: '127.0.0.1', port, path: `/.well-known/mercure?${params}`, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode === 200) open.push(res);
      else res.resume();
      res.on('error', () => {});
      done(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/**
 * The pattern phase: the hub with no pattern subscriber, then with 64 connections (each its own
 * token `sub`, so the per-client budget admits each) of 256 distinct URL patterns; the hub-wide
 * pattern budget refuses what exceeds it (429). Every publish has a new topic (half matched by
 * one pattern, half by none), so every dispatch evaluates every pattern.
 */
async function patternPhase(target: Target): Promise<void> {
  process.stdout.write(`\nrunning the pattern phase: ${PATTERN_CONNECTIONS} connections × ${PATTERNS_PER_CONNECTION} distinct match_urlpattern, ${PATTERN_PUBLISHES} sequential publishes, GET / polled meanwhile…\n`);
  const { child, port } = await startServer(target.script);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const streamAgent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const open: IncomingMessage[] = [];
  try {
    // Half the topics match one pattern, half none; each is new.
    const topics = (phase: string) => (i: number): string => (i % 2 === 0 ? `/c0/p0/${phase}-${i}` : `/nowhere/${phase}-${i}`);
    const idle = await measureLatency(port, target, topics('idle'), agent);
    const statuses: number[] = [];
    for (let c = 0; c < PATTERN_CONNECTIONS; c++) {
      const token = await new SignJWT({ sub: `bench-${c}` }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setExpirationTime('1h').sign(new TextEncoder().encode(KEY));
      statuses.push(await subscribePatterns(port, c, token, streamAgent, open));
    }
    const admitted = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 429).length;
    const loaded = await measureLatency(port, target, topics('loaded'), agent);
    const ms = (n: number): string => n.toFixed(2);
    const row = (name: string, f: LatencyFigures): string =>
      `| ${name.padEnd(36)} | ${ms(percentile(f.publish, 50)).padStart(8)} / ${ms(percentile(f.publish, 99)).padStart(8)} | ${ms(percentile(f.status, 50)).padStart(8)} / ${ms(percentile(f.status, 99)).padStart(8)} | ${String(f.status.length).padStart(6)} |`;
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    process.stdout.write(
      [
        '',
        `| ${'sse-kit hub'.padEnd(36)} | publish p50 / p99 ms | GET / p50 / p99 ms  | GETs   |`,
        `|${'-'.repeat(38)}|${'-'.repeat(22)}|${'-'.repeat(21)}|${'-'.repeat(8)}|`,
        row('no pattern subscribed', idle),
        row(`${admitted} × ${PATTERNS_PER_CONNECTION} patterns (${refused} refused, 429)`, loaded),
        `| ${'ratio loaded / none'.padEnd(36)} | ${ratio(percentile(loaded.publish, 50), percentile(idle.publish, 50)).padStart(8)} / ${ratio(percentile(loaded.publish, 99), percentile(idle.publish, 99)).padStart(8)} | ${ratio(percentile(loaded.status, 50), percentile(idle.status, 50)).padStart(8)} / ${ratio(percentile(loaded.status, 99), percentile(idle.status, 99)).padStart(8)} |        |`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const res of open) res.destroy();
    agent.destroy();
    streamAgent.destroy();
    await stopServer(child);
  }
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    process.stderr.write(`bench:hub: time limit of ${TIME_LIMIT_MS / 1000}s reached, stopping.\n`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  deadline.unref();
  const token = await new SignJWT({ authorization_details: [{ type: 'mercure', actions: ['publish'], topics: [{ match: '*' }] }] })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(KEY));
  const targets: Target[] = [
    { name: 'sse-kit hub', script: resolve(here, 'hub/serverHub.ts'), matchParam: 'match', token },
    { name: 'express relay', script: resolve(here, 'hub/serverRelay.ts'), matchParam: 'topic', token: undefined, steady: false },
  ];
  if (process.env['BENCH_PHASE'] === 'patterns') {
    await patternPhase(targets[0] as Target);
    return;
  }
  process.stdout.write(
    `bench:hub — ${SUBSCRIBERS} subscribers over ${TOPICS} topics; throughput: ${UPDATES} updates (${(UPDATES * SUBSCRIBERS) / TOPICS} deliveries) from ${CONCURRENCY} concurrent publishers; latency: ${PACED} updates at ${PACED_RATE}/s; steady: ${STEADY} updates at ${STEADY_RATE}/s; Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1)}\n`,
  );
  // `BENCH_PHASE=redis`: the in-memory hub and the Redis section only (no relay, no pattern phase);
  // `BENCH_PHASE=equal`: only the Redis section's equal-load rounds.
  if (process.env['BENCH_PHASE'] === 'equal') {
    await redisSection(undefined, targets[0] as Target);
    return;
  }
  const redisOnly = process.env['BENCH_PHASE'] === 'redis';
  const results: Result[] = [];
  for (const target of redisOnly ? targets.slice(0, 1) : targets) {
    process.stdout.write(`running ${target.name}…\n`);
    results.push(await run(target));
  }
  process.stdout.write(`\n${table(results, 'ratio hub/relay')}\n`);
  const [hub, relay] = results;
  if (hub && relay) {
    const ratio = hub.perSecond / relay.perSecond;
    process.stdout.write(
      `\ngoal: ≥2× relay deliveries/s (${ratio >= 2 ? 'met' : 'NOT met'}: ${ratio.toFixed(2)}×), p99 < 50 ms at ${PACED_RATE} updates/s (${hub.p99 < 50 ? 'met' : 'NOT met'}: ${hub.p99.toFixed(1)} ms)\n`,
    );
    for (const r of results) if (r.deliveries !== r.expected) process.stdout.write(`warning: ${r.name} delivered ${r.deliveries} of ${r.expected}\n`);
  }
  if (hub && process.env['BENCH_REDIS'] !== '0') await redisSection(hub, targets[0] as Target);
  if (!redisOnly) await patternPhase(targets[0] as Target);
}

/** User + system CPU time of a process, in µs, from `/proc` (Linux); 0 elsewhere. */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of the line) in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/** Rounds of the equal-load comparison (`BENCH_ROUNDS`). */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** Updates per deployment in each round: about two seconds at the paced rate, then three at the steady rate. */
const ROUND_PACED = 2 * PACED_RATE;
const ROUND_STEADY = 3 * STEADY_RATE;

/** CPU µs per delivery of one phase: the hub processes' summed, and the helper's (Redis). */
interface PhaseCpu {
  readonly hubs: number;
  readonly helper: number | undefined;
}

/** Publishes `count` updates at `rate` (sequence numbers from `first`) and measures the CPU per delivery it cost. */
async function measuredPhase(d: Deployment, first: number, count: number, rate: number): Promise<PhaseCpu> {
  const before = d.recorder.seen;
  const helperStart = await mark(d);
  await publishPaced(d.ports, d.target, first, count, rate, d.recorder, d.publisherAgent);
  await d.recorder.until(before + (count * SUBSCRIBERS) / TOPICS, 20_000);
  const used = await cpuSince(d, helperStart);
  const delivered = Math.max(1, d.recorder.seen - before);
  return { hubs: used.micros / delivered, helper: used.helper === undefined ? undefined : used.helper / delivered };
}

/**
 * Deployments up at once, each with its own {@link SUBSCRIBERS} subscribers, measured in turns: each
 * round runs a paced phase ({@link PACED_RATE}/s) on each deployment in turn, then a steady phase
 * ({@link STEADY_RATE}/s) the same way, the order rotating from round to round. A load change on the
 * machine hits them alike; figures are compared within each round.
 * @returns per phase (paced, steady), per round, each deployment's figures in `targets` order.
 */
async function equalLoad(targets: readonly Target[]): Promise<{ readonly rounds: PhaseCpu[][][]; readonly lost: number; readonly duplicated: number }> {
  const size = WARMUP + ROUNDS * (ROUND_PACED + ROUND_STEADY);
  const deployments: Deployment[] = [];
  try {
    for (const target of targets) deployments.push(await deploy(target, new Recorder(size)));
    for (const d of deployments) {
      await publishAll(d.ports, d.target, 0, WARMUP, d.recorder, d.publisherAgent);
      await d.recorder.until((WARMUP * SUBSCRIBERS) / TOPICS, 10_000);
    }
    const rounds: PhaseCpu[][][] = [[], []];
    let next = WARMUP;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [phase, count, rate] of [
        [0, ROUND_PACED, PACED_RATE],
        [1, ROUND_STEADY, STEADY_RATE],
      ] as const) {
        const figures: PhaseCpu[] = [];
        for (let turn = 0; turn < deployments.length; turn++) {
          const at = (round + turn) % deployments.length;
          figures[at] = await measuredPhase(deployments[at] as Deployment, next, count, rate);
        }
        rounds[phase]?.push(figures);
        next += count;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    const expected = (size * SUBSCRIBERS) / TOPICS;
    return {
      rounds,
      lost: deployments.reduce((sum, d) => sum + expected - d.recorder.seen, 0),
      duplicated: deployments.reduce((sum, d) => sum + d.recorder.duplicated, 0),
    };
  } finally {
    await Promise.all(deployments.map((d) => d.dispose()));
  }
}

/**
 * Two hub processes on Redis Streams against the in-memory hub, with the same subscribers and
 * publishes split between the two processes. Goal: at most 1.5× the hub CPU per delivery of the
 * in-memory hub, and nothing lost or duplicated.
 *
 * First the Redis deployment runs the phases the in-memory hub ran above (throughput, latency, RSS,
 * losses). CPU per delivery depends on the delivery rate: a hub writes to each subscriber once per
 * event-loop turn, so the more updates a turn carries, the cheaper each delivery; in the throughput
 * phase each deployment runs at its own saturation rate (on a small machine the two hubs, Redis and
 * the load share the cores, the deployment on Redis saturates at a lower rate, and its turns carry
 * fewer updates). The goal is therefore judged at equal load, by {@link equalLoad}: the in-memory
 * hub, one hub process on Redis and the two processes on Redis up at once, measured in rotating
 * turns at the paced and steady rates. The single process on Redis tells the transport's own cost
 * apart from the cost of splitting the subscribers over two processes (each reads and dispatches
 * every update). Redis's own CPU is shown beside the hubs' (it is not a hub process).
 */
async function redisSection(memory: Result | undefined, memoryTarget: Target): Promise<void> {
  // One redis-server per Redis deployment: their logs, channels and CPU stay apart.
  const servers = [await startRedis('everysec'), await startRedis('everysec')];
  try {
    const onRedis = (processes: number, redis: TestRedis): Target => ({
      name: `sse-kit hub ×${processes} on Redis`,
      script: resolve(here, 'hub/serverHub.ts'),
      matchParam: 'match',
      token: memoryTarget.token,
      processes,
      env: { BENCH_TRANSPORT: redis.url },
      helperCpu: () => processCpuMicros(redis.pid),
    });
    const [one, two] = [onRedis(1, servers[0] as TestRedis), onRedis(2, servers[1] as TestRedis)];
    let clustered: Result | undefined;
    if (memory) {
      process.stdout.write(`\nrunning ${two.name} (redis-server with appendonly, fsync everysec)…\n`);
      clustered = await run(two);
      process.stdout.write(`\n${table([clustered, memory], 'ratio redis/memory')}\n`);
    }
    process.stdout.write(
      `\nequal load: the in-memory hub, ${one.name} and ${two.name} up at once, ${ROUNDS} rounds of ${ROUND_PACED} updates at ${PACED_RATE}/s, then ${ROUND_STEADY} at ${STEADY_RATE}/s, on each in turn…\n`,
    );
    const equal = await equalLoad([memoryTarget, one, two]);
    const rows: string[][] = [];
    const verdicts: number[] = [];
    [`paced, ${PACED_RATE} updates/s`, `steady, ${STEADY_RATE} updates/s`].forEach((phase, i) => {
      const rounds = equal.rounds[i] ?? [];
      const of = (pick: (r: PhaseCpu[]) => number): number => median(rounds.map(pick));
      const memoryCpu = (r: PhaseCpu[]): number => r[0]?.hubs ?? Number.NaN;
      for (const [at, target] of [one, two].entries()) {
        const redisOf = (r: PhaseCpu[]): PhaseCpu => r[at + 1] ?? { hubs: Number.NaN, helper: undefined };
        const ratio = of((r) => redisOf(r).hubs / memoryCpu(r));
        if (target === two) verdicts.push(ratio);
        rows.push([
          `${phase}, ${target.name}`,
          of(memoryCpu).toFixed(2),
          of((r) => redisOf(r).hubs).toFixed(2),
          `${ratio.toFixed(2)}× (${rounds.map((r) => (redisOf(r).hubs / memoryCpu(r)).toFixed(2)).join(' ')})`,
          of((r) => redisOf(r).helper ?? 0).toFixed(2),
          `${of((r) => (redisOf(r).hubs + (redisOf(r).helper ?? 0)) / memoryCpu(r)).toFixed(2)}×`,
        ]);
      }
    });
    if (clustered && memory) {
      const hubs = clustered.cpuPerDelivery;
      const helper = clustered.helperCpuPerDelivery ?? 0;
      rows.push([`throughput (each at its own saturation), ${two.name}`, memory.cpuPerDelivery.toFixed(2), hubs.toFixed(2), `${(hubs / memory.cpuPerDelivery).toFixed(2)}×`, helper.toFixed(2), `${((hubs + helper) / memory.cpuPerDelivery).toFixed(2)}×`]);
    }
    process.stdout.write(`\n${formatTable(['CPU µs per delivery (medians over the rounds)', 'memory hub', 'hubs on Redis', 'hubs / memory (each round)', 'redis-server', '(hubs + Redis) / memory'], rows)}\n`);
    const worst = Math.max(...verdicts);
    const lost = (clustered?.lost ?? 0) + equal.lost;
    const duplicated = (clustered?.duplicated ?? 0) + equal.duplicated;
    const clean = lost === 0 && duplicated === 0;
    process.stdout.write(
      `goal (${two.name} at equal load): CPU per delivery ≤ 1.5× in-memory (${worst <= 1.5 ? 'met' : 'NOT met'}: ${verdicts.map((r) => `${r.toFixed(2)}×`).join(' and ')}), ` +
        `0 lost / 0 duplicated (${clean ? 'met' : `NOT met: ${lost} lost, ${duplicated} duplicated`})\n`,
    );
  } finally {
    await Promise.all(servers.map((redis) => redis.dispose()));
  }
}

await main();
