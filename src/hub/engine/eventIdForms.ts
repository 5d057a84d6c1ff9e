/**
 * Event ids are IRIs, but an HTTP header carries only bytes (and should carry only visible ASCII,
 * RFC 9110 §5.5). Where the hub puts an id in a header (`Last-Event-ID`, `Mercure-Last-Event-ID`) it
 * writes the id's URI form, the mapping of RFC 3987 §3.1; a cursor it is given is looked up as sent,
 * then in its other forms (see {@link cursorForms}), so a client may resume from any.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The URI form of an id (RFC 3987 §3.1): each non-ASCII character becomes the percent-encoding of its
 * UTF-8 bytes; everything else (ASCII, `%` included) is kept. ASCII ids are unchanged. Never throws
 * (a lone surrogate, which no form-decoded id holds, is encoded as U+FFFD).
 */
export function uriForm(id: string): string {
  return id.replace(/[^\0-\x7f]+/g, (run) => Array.from(encoder.encode(run), (byte) => `%${byte.toString(16).toUpperCase()}`).join(''));
}

/**
 * The IRI form of an id received in URI form (RFC 3987 §3.2): percent-encoded bytes that form
 * well-formed non-ASCII UTF-8 are decoded; percent-encoded ASCII and bytes that are not part of a
 * valid sequence stay encoded.
 */
export function iriForm(value: string): string {
  return value.replace(/(?:%[89a-fA-F][0-9a-fA-F])+/g, (run) => {
    const escapes = run.match(/%../g) ?? [];
    const bytes = escapes.map((escape) => parseInt(escape.slice(1), 16));
    let out = '';
    for (let i = 0; i < bytes.length; ) {
      const lead = bytes[i] ?? 0;
      const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      const decoded = length > 1 && i + length <= bytes.length ? decode(bytes.slice(i, i + length)) : undefined;
      if (decoded === undefined) {
        out += escapes[i] ?? '';
        i++;
      } else {
        out += decoded;
        i += length;
      }
    }
    return out;
  });
}

/**
 * The ids a cursor may stand for, in lookup order: the cursor as sent, its IRI form (a client
 * resuming from the URI form a header gave it) and its URI form (an id published in URI form,
 * asked for as an IRI); from a header, also its bytes decoded as UTF-8 (a browser's `EventSource`
 * sends its `Last-Event-ID` UTF-8 encoded, and a server reads header bytes as Latin-1). Distinct values only.
 */
export function cursorForms(cursor: string, header = false): readonly string[] {
  const forms = [cursor, iriForm(cursor), uriForm(cursor)];
  const utf8 = header ? decodeLatin1Bytes(cursor) : undefined;
  if (utf8 !== undefined) forms.push(utf8);
  return [...new Set(forms)];
}

/** The UTF-8 text whose bytes `value` spells as Latin-1, if it holds some non-ASCII and is valid UTF-8. */
function decodeLatin1Bytes(value: string): string | undefined {
  if (!/[\x80-\xff]/.test(value) || /[^\0-\xff]/.test(value)) return undefined;
  return decode(Array.from(value, (char) => char.charCodeAt(0)));
}

function decode(bytes: readonly number[]): string | undefined {
  try {
    return decoder.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
