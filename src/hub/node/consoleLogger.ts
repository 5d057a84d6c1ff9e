import type { HubLogger } from '../engine/types.js';

/**
 * A logger writing one line per call: info to stdout, warnings and errors to stderr.
 * @param verbose - also log debug lines (successful publishes).
 */
export function consoleLogger(verbose = false): HubLogger {
  const line = (level: string, text: string): string => `${new Date().toISOString()} ${level} ${text}\n`;
  const logger: HubLogger = {
    info: (text) => void process.stdout.write(line('info', text)),
    warn: (text) => void process.stderr.write(line('warn', text)),
    error: (text) => void process.stderr.write(line('error', text)),
  };
  if (verbose) logger.debug = (text) => void process.stdout.write(line('debug', text));
  return logger;
}
