import { expect } from 'vitest';

/** Right-to-left text with an unbalanced bidi control and parenthesis: shown unisolated, it reorders its neighbours. */
export const RTL_NAME = 'שרה \u202B(מנהלת';

/**
 * Asserts that `text` occurs in `root` and that each occurrence is isolated for bidi: the nearest `bdi`, or
 * element with `dir`, around it holds `text` and nothing else.
 */
export function expectIsolated(root: Element, text: string): void {
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let found = 0;
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    if (!node.textContent?.includes(text)) continue;
    found++;
    expect(node.parentElement?.closest('bdi, [dir]')?.textContent).toBe(text);
  }
  expect(found).toBeGreaterThan(0);
}
