/**
 * Reports an error thrown by user code (a listener, a callback) without breaking the caller: it is
 * rethrown in a microtask, where the platform reports it (console, `window.onerror`, test runner).
 */
export function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
