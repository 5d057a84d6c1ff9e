import { setProjectAnnotations } from '@storybook/react-vite';
import axe from 'axe-core';
import { afterEach, beforeEach, vi } from 'vitest';
import preview from '../../.storybook/preview.js';

/** Applies the project's Storybook annotations (decorators, globals) to composed stories. */
export const annotations = setProjectAnnotations([preview]);

/**
 * jsdom has no layout: gives every element a scroll geometry (20 px per child element, 100 px tall
 * viewport) and a working `scrollTop`, so auto-scroll logic can be exercised.
 */
export function installScrollGeometry(): void {
  const tops = new WeakMap<Element, number>();
  const height = (el: Element) => el.querySelectorAll('li, p').length * 20;
  Object.defineProperty(HTMLElement.prototype, 'scrollHeight', { configurable: true, get(this: HTMLElement) { return height(this); } });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get() { return 100; } });
  Object.defineProperty(HTMLElement.prototype, 'scrollTop', {
    configurable: true,
    get(this: HTMLElement) {
      return tops.get(this) ?? 0;
    },
    set(this: HTMLElement, value: number) {
      tops.set(this, Math.max(0, Math.min(value, height(this) - 100)));
    },
  });
}

/** Collects console errors (and React warnings) during a test; `take()` returns and clears them. */
export function captureConsoleErrors(): { take: () => string[] } {
  let errors: string[] = [];
  beforeEach(() => {
    errors = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args.map((a) => (a instanceof Error ? a.stack ?? a.message : String(a))).join(' '));
    });
  });
  afterEach(() => {
    vi.mocked(console.error).mockRestore();
  });
  return {
    take: () => {
      const out = errors;
      errors = [];
      return out;
    },
  };
}

/** Runs axe on `element` (colour contrast off: jsdom cannot compute it). */
export async function axeViolations(element: Element): Promise<string[]> {
  const result = await axe.run(element, {
    rules: { 'color-contrast': { enabled: false } },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
