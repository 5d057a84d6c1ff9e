import { SignalingError } from './errors.js';

/**
 * Session crypto: end-to-end encryption of direct signals. Every session owns an ECDH P-256 key
 * pair, announces the public half, and derives one AES-GCM-256 key per peer session with
 * HKDF-SHA-256 (salt: both session ids, sorted). The additional data binds sender, session,
 * addressee and sequence number (see `signalAad` in `wire.ts`), so a ciphertext cannot be replayed
 * under another header.
 */

const INFO = new TextEncoder().encode('sse-kit signaling v1');

/** The WebCrypto subtle API, when the context offers it (secure contexts and Node ≥ 20). */
export function getSubtle(): SubtleCrypto | undefined {
  const c = globalThis.crypto as Crypto | undefined;
  return c?.subtle;
}

/** An ECDH key pair with its public half exported (base64url, raw uncompressed point). */
export interface SessionKeys {
  readonly privateKey: CryptoKey;
  readonly publicKey: string;
}

/** Generates the key pair of one session. */
export async function createSessionKeys(subtle: SubtleCrypto): Promise<SessionKeys> {
  const pair = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const raw = await subtle.exportKey('raw', pair.publicKey);
  return { privateKey: pair.privateKey, publicKey: toBase64(new Uint8Array(raw)) };
}

/**
 * Derives the AES-GCM key shared with one peer session.
 * @param peerPublicKey - the peer's announced public key (base64url).
 * @param sessions - both session ids (order does not matter).
 */
export async function deriveSharedKey(subtle: SubtleCrypto, own: SessionKeys, peerPublicKey: string, sessions: readonly [string, string]): Promise<CryptoKey> {
  let peerKey: CryptoKey;
  try {
    peerKey = await subtle.importKey('raw', fromBase64(peerPublicKey), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  } catch (cause) {
    throw new SignalingError('parse', 'A peer announced an encryption key that is not a P-256 public key: signals to or from it cannot be encrypted.', { cause });
  }
  const bits = await subtle.deriveBits({ name: 'ECDH', public: peerKey }, own.privateKey, 256);
  const hkdf = await subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
  const salt = new TextEncoder().encode([...sessions].sort().join('|'));
  return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: INFO }, hkdf, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Ciphertext of one signal. */
export interface Sealed {
  /** 96-bit nonce, base64url. */
  readonly iv: string;
  /** Ciphertext with the GCM tag, base64url. */
  readonly ct: string;
}

/** Encrypts `plaintext` under `key`, binding `aad`. */
export async function seal(subtle: SubtleCrypto, key: CryptoKey, plaintext: string, aad: string): Promise<Sealed> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(aad) }, key, new TextEncoder().encode(plaintext));
  return { iv: toBase64(iv), ct: toBase64(new Uint8Array(ct)) };
}

/** Decrypts a {@link Sealed}; rejects when the key, the data or `aad` do not match. */
export async function open(subtle: SubtleCrypto, key: CryptoKey, sealed: Sealed, aad: string): Promise<string> {
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64(sealed.iv), additionalData: new TextEncoder().encode(aad) },
    key,
    fromBase64(sealed.ct),
  );
  return new TextDecoder().decode(plain);
}

/** What session crypto needs to know of one peer session; the derived key is cached on it. */
export interface PeerKeyRef {
  /** The peer's session id. */
  readonly sid: string;
  /** The public key the peer session announced (pinned: the first one stays). */
  readonly key: string | undefined;
  /** The AES-GCM key shared with that session, once derived. */
  shared: Promise<CryptoKey> | undefined;
}

/** The crypto of one session of this peer: its key pair and the keys shared with peer sessions. */
export class SessionCrypto {
  /** The session's key pair (rejects when WebCrypto fails). */
  readonly keys: Promise<SessionKeys>;
  readonly #subtle: SubtleCrypto;
  readonly #sid: string;

  /**
   * @param subtle - WebCrypto (see {@link getSubtle}).
   * @param sid - this session's id, part of every derived key's salt.
   */
  constructor(subtle: SubtleCrypto, sid: string) {
    this.#subtle = subtle;
    this.#sid = sid;
    this.keys = createSessionKeys(subtle);
  }

  /** Encrypts a signal to `peer` (which must have announced a key). */
  async seal(peer: PeerKeyRef, plaintext: string, aad: string): Promise<Sealed> {
    return seal(this.#subtle, await this.#shared(peer), plaintext, aad);
  }

  /** Decrypts a signal from `peer` (which must have announced a key). */
  async open(peer: PeerKeyRef, sealed: Sealed, aad: string): Promise<string> {
    return open(this.#subtle, await this.#shared(peer), sealed, aad);
  }

  #shared(peer: PeerKeyRef): Promise<CryptoKey> {
    const key = peer.key;
    if (key === undefined) return Promise.reject(new Error(`Peer session ${peer.sid} announced no key.`));
    peer.shared ??= this.keys.then((own) => deriveSharedKey(this.#subtle, own, key, [this.#sid, peer.sid]));
    return peer.shared;
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
