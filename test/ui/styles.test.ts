import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const css = readFileSync(resolve(import.meta.dirname, '../../src/ui/styles.css'), 'utf8');

/** The declarations of the first rule whose selector ends with `selector` (no nested braces inside a rule). */
function rule(selector: string): Map<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no rule ${selector}`);
  const body = css.slice(css.indexOf('{', start) + 1, css.indexOf('}', start));
  const declarations = new Map<string, string>();
  for (const [, name, value] of body.replace(/\/\*[^]*?\*\//g, '').matchAll(/([\w-]+)\s*:\s*([^;]+);/g)) {
    declarations.set(name as string, (value as string).trim());
  }
  return declarations;
}

/** Relative luminance of a `#rrggbb` colour (WCAG 2). */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const themes = {
  light: rule(":root,\n[data-theme='light']"),
  'dark (prefers-color-scheme)': rule(":root:not([data-theme='light'])"),
  'dark (data-theme)': rule("[data-theme='dark']"),
};

/** Every declaration of every rule whose selector list names `selector` exactly, later rules winning. */
function declarationsOf(selector: string): Map<string, string> {
  const declarations = new Map<string, string>();
  for (const [, selectors, body] of css.replace(/\/\*[^]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    if (!(selectors as string).split(',').some((s) => s.trim() === selector)) continue;
    for (const [, name, value] of (body as string).matchAll(/([\w-]+)\s*:\s*([^;]+);/g)) declarations.set(name as string, (value as string).trim());
  }
  return declarations;
}

describe('styles.css', () => {
  // Long unbroken text (a URL, a token, a hub's reason) would otherwise push the element out of its box: the
  // publish error went 1,600 px past a 320 px form in Chromium, and a long topic as a timeline connection
  // name pushed the entry's detail 2,000 px out of view.
  it.each([
    '.sse-publish__error',
    '.sse-publish__invalid',
    '.sse-inspector__connection',
    '.sse-inspector__detail',
    '.sse-feed__author',
    '.sse-feed__topic',
    '.sse-feed__body',
    '.sse-feed__error-text',
    '.sse-feed__empty-detail',
    '.sse-status__details',
  ])('wraps text other users or the hub wrote anywhere: %s', (selector) => {
    expect(declarationsOf(selector).get('overflow-wrap')).toBe('anywhere');
  });

  it.each(Object.entries(themes))('draws the edge of the message field at 3:1 against the backgrounds around it, %s (WCAG 1.4.11)', (_, vars) => {
    const border = rule('.sse-publish__field').get('border') ?? '';
    const variable = /var\((--[\w-]+)\)/.exec(border)?.[1] ?? '';
    const edge = vars.get(variable) ?? themes.light.get(variable) ?? '';
    expect(edge).toMatch(/^#[0-9a-f]{6}$/i);
    for (const background of ['--sse-bg', '--sse-surface']) {
      expect(contrast(edge, vars.get(background) as string), `${variable} on ${background}`).toBeGreaterThanOrEqual(3);
    }
  });
});
