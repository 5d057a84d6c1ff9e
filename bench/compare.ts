/**
 * `npm run bench:compare -- <treeA> <treeB> [subscriptions]`: how much CPU time the enveloped ingest
 * path of `npm run bench -- core` (100k Mercure-like events, decoded, de-duplicated and routed to
 * `subscriptions` exact subscriptions, 1,000 unless given) costs with the `src` of tree B against tree A,
 * e.g. a change against the commit before it (`git worktree add ../before HEAD~1`; each tree needs its
 * dependencies, a `node_modules` link will do).
 *
 * Differences of a few percent drown in run-to-run noise when each tree runs in a process of its own
 * (the same code moved by up to 10 % between such processes here).
 * Here both drivers run in one process, taking turns, and the ratio is the median of the ratios within
 * each turn. Loading two drivers into one process is not neutral either: they share
 * `eventsource-parser`, and whichever is loaded second was measured up to 9 % slower. So the pair runs
 * twice, once in each load order, and the figure is the geometric mean of the two ratios, which cancels
 * that order effect (also printed). Repeat a run to see how far the figure moves (about ±2 % here).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chunks, mercureEvents, sseKit } from './core.js';
import { median } from './util.js';

const PAIRS = 31;
const WARM_UP = 3;

type DriverClass = Parameters<typeof sseKit>[2];

async function loadDriver(tree: string): Promise<DriverClass> {
  const loaded = (await import(pathToFileURL(resolve(tree, 'src/index.ts')).href)) as { SseDriver: DriverClass };
  return loaded.SseDriver;
}

/** One process: A and B take turns; prints the median over the turns of B's CPU time over A's. */
async function turns(treeA: string, treeB: string, topics: number): Promise<void> {
  const parts = chunks(mercureEvents(topics));
  const runners = [sseKit(false, topics, await loadDriver(treeA)), sseKit(false, topics, await loadDriver(treeB))];
  const cpu = async (i: number): Promise<number> => {
    const run = await runners[i]!(parts);
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  for (let round = 0; round < WARM_UP; round++) for (const i of [0, 1]) await cpu(i);
  const ratios: number[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    // Which of the two goes first within a turn alternates too.
    const times = [0, 0];
    for (const i of pair % 2 === 0 ? [0, 1] : [1, 0]) times[i] = await cpu(i);
    ratios.push((times[1] ?? 0) / (times[0] ?? 1));
  }
  console.log(median(ratios));
}

function child(first: string, second: string, topics: number): number {
  const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--turns', first, second, String(topics)], { encoding: 'utf8' });
  const ratio = Number(result.stdout.trim());
  if (result.status !== 0 || !Number.isFinite(ratio)) throw new Error(`bench/compare.ts: the run of ${first} against ${second} failed:\n${result.stderr}`);
  return ratio;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === '--turns') {
  await turns(args[0] ?? '', args[1] ?? '', Number(args[2]));
  process.exit(0);
}
const treeA = mode;
const treeB = args[0];
const topics = Number(args[1] ?? 1000);
if (treeA === undefined || treeB === undefined || !Number.isInteger(topics) || topics < 1) {
  console.error('Usage: npm run bench:compare -- <treeA> <treeB> [subscriptions]');
  process.exit(2);
}
const forward = child(treeA, treeB, topics);
const backward = child(treeB, treeA, topics);
console.log(
  `${topics} subscription(s): B costs ${Math.sqrt(forward / backward).toFixed(3)}× A's CPU time ` +
    `(${PAIRS} turns in each load order; B/A loaded A first ${forward.toFixed(3)}, A/B loaded B first ${backward.toFixed(3)}; ` +
    `the order effect, ${Math.sqrt(forward * backward).toFixed(3)}×, cancels out)`,
);
