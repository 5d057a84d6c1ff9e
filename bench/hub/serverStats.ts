/** Messages a benchmark server child understands over IPC. */
export type StatsRequest = { readonly type: 'mark' } | { readonly type: 'stats' } | { readonly type: 'stop' };

/** What a server child reports about itself. */
export interface ServerStats {
  /** User + system CPU time since the last mark, in microseconds. */
  readonly cpuMicros: number;
  /** Peak resident set size of the process, in bytes. */
  readonly peakRss: number;
}

/**
 * Announces the port to the parent, then answers `mark` (start CPU accounting), `stats`
 * (report CPU since the mark and peak RSS) and `stop`.
 */
export function serveStats(port: number, stop: () => Promise<void>): void {
  let mark = process.cpuUsage();
  process.send?.({ type: 'ready', port });
  process.on('message', (message: StatsRequest) => {
    if (message.type === 'mark') {
      mark = process.cpuUsage();
      process.send?.({ type: 'marked' });
    } else if (message.type === 'stats') {
      const used = process.cpuUsage(mark);
      const stats: ServerStats = { cpuMicros: used.user + used.system, peakRss: process.resourceUsage().maxRSS * 1024 };
      process.send?.({ type: 'stats', stats });
    } else {
      void stop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
