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

/**
 * The page's style: the UI kit's colours, type scale and cards (`sse-kit/ui/styles.css`), light or dark
 * after `prefers-color-scheme`. Embedded, so the page stays one self-contained response.
 */
const STYLE = `
:root{--bg:#f6f7f9;--surface:#fff;--fg:#1c2127;--muted:#5a6470;--border:#d5dae0;--accent:#2455c3;--ok:#137a3a;--ok-soft:#e3f4e9;--warn:#8a5300;--warn-soft:#fdf1dc;
--font:Inter,-apple-system,BlinkMacSystemFont,'Segoe UI Variable Text','Segoe UI',Roboto,'Helvetica Neue',Arial,'Liberation Sans',system-ui,sans-serif;
--mono:ui-monospace,'SF Mono',SFMono-Regular,'Cascadia Mono',Menlo,Consolas,'Liberation Mono',monospace;color-scheme:light}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--surface:#1b1f24;--fg:#e6e9ee;--muted:#a2abb7;--border:#353c45;--accent:#7aa2ff;--ok:#5fd08a;--ok-soft:#15301f;--warn:#f2b55c;--warn-soft:#3a2a10;color-scheme:dark}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:0.875rem/1.45 var(--font);-webkit-font-smoothing:antialiased}
main{max-width:44rem;margin:0 auto;padding:2.5rem 1.25rem}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem .75rem;margin-bottom:.5rem}
h1{margin:0;font-size:1.125rem;line-height:1.25}
.badge{display:inline-flex;align-items:center;gap:.4em;padding:.15em .7em;border:1px solid color-mix(in srgb,var(--ok) 35%,transparent);border-radius:999px;background:var(--ok-soft);color:var(--ok);font-size:.75rem;font-weight:600}
.badge::before{content:'';width:.55em;height:.55em;border-radius:50%;background:currentcolor}
p{margin:.5rem 0;color:var(--muted)}
code{font-family:var(--mono);font-size:.8125rem;color:var(--fg);overflow-wrap:anywhere}
.alert{margin:1rem 0;padding:.6rem .8rem;border:1px solid color-mix(in srgb,var(--warn) 40%,transparent);border-radius:8px;background:var(--warn-soft);color:var(--fg)}
dl{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem;margin:1.25rem 0 0}
dl div{min-width:0;padding:.6rem .8rem;border:1px solid var(--border);border-radius:8px;background:var(--surface)}
dl div.wide{grid-column:1/-1}
dt{color:var(--muted);font-size:.75rem}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
dd.mono{font-family:var(--mono);font-size:.8125rem}
`;

/** The short HTML page served at `GET /`, styled like the UI kit. */
export function statusPage(facts: StatusFacts): string {
  // Two columns: the URL and the token profile span both, the four short facts fill two full rows.
  const rows: [string, string][] = [
    ['Live connections', String(facts.connections)],
    ['Updates in history', String(facts.history)],
    ['Legacy wire format', facts.legacy ? 'accepted' : 'refused'],
    ['Subscription events', facts.subscriptions ? 'on' : 'off'],
  ];
  const profile = facts.strict ? 'strict (exp and typ at+jwt required)' : facts.legacy ? 'lenient (development)' : 'Mercure 1.0 (exp required)';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sse-kit hub</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
<main>
<header><h1>sse-kit hub</h1><span class="badge">Running</span></header>
<p>A Mercure hub. Subscribe with <code>GET ${escapeHtml(facts.url)}?match=…</code>, publish with a form <code>POST</code> to the same URL.</p>
${facts.devKey ? '<p class="alert" role="alert"><strong>Development key in use:</strong> anyone can sign publisher tokens. Set a publisher key before exposing this hub.</p>\n' : ''}<dl>
<div class="wide"><dt>Hub URL</dt><dd class="mono">${escapeHtml(facts.url)}</dd></div>
${rows.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n')}
<div class="wide"><dt>Token profile</dt><dd>${escapeHtml(profile)}</dd></div>
</dl>
</main>
</body>
</html>
`;
}
