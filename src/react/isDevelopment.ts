/**
 * Whether development warnings are on: `process.env.NODE_ENV` is not `'production'`. Bundlers
 * replace the expression; where nothing defines `process` (an unbundled browser module), warnings
 * are off.
 */
export function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}
