'use client';
/** Number of identity colours in `styles.css` (`data-hue="0"` … `data-hue="7"`). */
export const HUES = 8;

/**
 * A stable colour slot (0 … {@link HUES} − 1) for a name or id: the same author or peer always gets the
 * same colour, exposed as `data-hue` and styled by `styles.css`.
 */
export function hueOf(key: string): number {
  // FNV-1a: cheap, and well spread for short strings.
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % HUES;
}

/** One or two letters for an avatar: the initials of the first two words, else `?`. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]] : [words[0]];
  const text = letters.map((w) => (w ? Array.from(w)[0] ?? '' : '')).join('');
  return text.toUpperCase() || '?';
}
