/**
 * FNV-1a over the last `tail` UTF-16 code units of `key`, seeded with its length: a hash of the keys
 * read on every event (message ids, topics) that reads only where such keys differ, their end.
 * Event data and what is cut out of it are slices of the stream's text, which the engine's own string
 * hash (a `Map` or `Set` lookup) reads whole, through a slow path, every time: each event brings new
 * strings, so no hash is ever cached. Keys that share a longer end only make probing longer.
 */
export function tailHash(key: string, tail: number): number {
  let hash = 0x811c9dc5 ^ key.length;
  for (let i = Math.max(0, key.length - tail); i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash;
}
