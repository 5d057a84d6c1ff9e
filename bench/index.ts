/**
 * `npm run bench`: every client-side benchmark, each printing its figures and its ratios against
 * the peers measured in the same run. `npm run bench:hub` measures the hub.
 */
import { runCoreBench } from './core.js';
import { runReactBench } from './react.js';
import { runSignalingBench } from './signaling.js';
import { runTabsBench } from './tabs.js';

const only = process.argv[2];
const suites: Record<string, () => Promise<void>> = {
  core: runCoreBench,
  react: runReactBench,
  signaling: runSignalingBench,
  tabs: runTabsBench,
};

for (const [name, run] of Object.entries(suites)) {
  if (only && only !== name) continue;
  console.log(`\n=== ${name} ===`);
  await run();
}
process.exit(0);
