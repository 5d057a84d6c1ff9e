/** Facts shown on the status page. */
export interface StatusFacts {
  readonly url: string;
  readonly connections: number;
  /** Updates in history, or where the history lives when it is not in this process. */
  readonly history: number | string;
  readonly legacy: boolean;
  readonly strict: boolean;
  readonly subscriptions: boolean;
  readonly devKey: boolean;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The short HTML page served at `GET /`. */
export function statusPage(facts: StatusFacts): string {
  const rows: [string, string][] = [
    ['Hub URL', facts.url],
    ['Live connections', String(facts.connections)],
    ['Updates in history', String(facts.history)],
    ['Token profile', facts.strict ? 'strict (exp and typ at+jwt required)' : facts.legacy ? 'lenient (development)' : 'Mercure 1.0 (exp required)'],
    ['Legacy wire format', facts.legacy ? 'accepted' : 'refused'],
    ['Subscription events', facts.subscriptions ? 'on' : 'off'],
  ];
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sse-kit hub</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>sse-kit hub</h1>
<p>A Mercure hub. Subscribe with <code>GET ${escapeHtml(facts.url)}?match=…</code>, publish with a form <code>POST</code> to the same URL.</p>
${facts.devKey ? '<p role="alert"><strong>Development key in use:</strong> anyone can sign publisher tokens. Set a publisher key before exposing this hub.</p>\n' : ''}<dl>
${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}
</dl>
</main>
</body>
</html>
`;
}
