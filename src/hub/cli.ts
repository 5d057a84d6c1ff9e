#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub } from './node/createHub.js';
import { consoleLogger } from './node/consoleLogger.js';
import { helpText, optionsFromFlags, parseFlags } from './node/cliOptions.js';
import type { CreateHubOptions } from './node/createHub.js';
import { HubTransportError } from './engine/transport/RedisTransport.js';
import { developmentTokenLines, developmentTokens } from './node/devTokens.js';

/** Exit code when the transport's store (Redis) cannot be reached at start. */
const EXIT_TRANSPORT_UNAVAILABLE = 3;

function version(): string {
  try {
    const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  let values;
  let options: CreateHubOptions;
  try {
    values = parseFlags(process.argv.slice(2), process.env);
    options = optionsFromFlags(values);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (values['help'] === true) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  if (values['version'] === true) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const log = values['quiet'] === true ? false : consoleLogger(values['verbose'] === true);
  const hub = await createHub({ ...options, log });
  if (log) {
    // Unprefixed lines, so a token can be copied as is.
    for (const line of developmentTokenLines(await developmentTokens(options), hub.url)) process.stdout.write(`${line}\n`);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    if (log) log.info(`${signal} received, stopping (again to force)`);
    hub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`sse-kit-hub: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof HubTransportError ? EXIT_TRANSPORT_UNAVAILABLE : 1;
});
