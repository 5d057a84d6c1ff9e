/**
 * Streaming UTF-8 decoding that keeps an incomplete trailing sequence for the next chunk and
 * decodes the rest in one non-streaming call, which engines run on their fast path (several
 * times faster than `decode(chunk, { stream: true })` on ASCII-heavy event streams).
 */
export class Utf8ChunkDecoder {
  // The BOM is kept: only the stream's reader knows where the stream starts (it strips it there).
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #carry: Uint8Array | undefined;

  /** Decodes `chunk`, holding back a multi-byte sequence cut at its end. */
  decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.#carry !== undefined) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    const cut = incompleteTail(bytes);
    if (cut > 0) {
      this.#carry = bytes.slice(bytes.length - cut);
      bytes = bytes.subarray(0, bytes.length - cut);
    }
    return this.#decoder.decode(bytes);
  }
}

/** Length of a UTF-8 sequence started but not finished at the end of `bytes` (0 when none). */
function incompleteTail(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const byte = bytes[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}
