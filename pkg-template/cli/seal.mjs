// Sealing the token store: AES-256-GCM under a key derived with scrypt from
// INSTAGATE_KEY or the key file (any string: a generated random key or a
// passphrase), with a fresh IV on every write and a fresh salt for every new
// key derivation (a run that opened a store reuses its derived key to write it
// back, so a command pays for scrypt once). The envelope's header is
// authenticated too (AAD), and a key check value tells a wrong key apart from
// a damaged file.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync, timingSafeEqual, createHmac } from 'node:crypto';

const FORMAT = 'instagate-token-store';
const VERSION = 1;
// N=2^17, r=8, p=1: the current guidance for a passphrase (OWASP Password
// Storage Cheat Sheet; RFC 7914's interactive-login figure is older and
// lower): ~128 MB and a few hundred ms per derivation. Stores written with
// the former N=2^14 still open, and are rewritten at these costs.
const KDF = { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 };
// scrypt needs 128·N·r bytes: a header asking for more than this is refused
// (a tampered header must not make opening it hang or exhaust memory).
const MAX_KDF_MEMORY = 256 * 1024 * 1024;

export class SealError extends Error {
  /** reason: 'format' (not a store / damaged header), 'key' (wrong key), 'damaged' (right key, bad data). */
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

function derive(keyMaterial, salt, kdf) {
  const bytes = scryptSync(Buffer.from(keyMaterial, 'utf8'), salt, 64, {
    N: kdf.N, r: kdf.r, p: kdf.p, maxmem: MAX_KDF_MEMORY + 16 * 1024 * 1024,
  });
  return { encKey: bytes.subarray(0, 32), checkKey: bytes.subarray(32) };
}

/**
 * A key derived from `keyMaterial` under a fresh salt (with `params`, the
 * current costs unless a test asks for others), for `seal`.
 */
export function deriveKey(keyMaterial, params = KDF) {
  const salt = randomBytes(16);
  const kdf = { name: params.name, N: params.N, r: params.r, p: params.p, salt: salt.toString('base64') };
  return { kdf, ...derive(keyMaterial, salt, kdf) };
}

const currentCosts = (kdf) => kdf.name === KDF.name && kdf.N === KDF.N && kdf.r === KDF.r && kdf.p === KDF.p;

const keyCheck = (checkKey) => createHmac('sha256', checkKey).update('instagate key check').digest().subarray(0, 16);

/**
 * The sealed envelope (a JSON string) of `value` (any JSON value), under
 * `derived` (from `deriveKey` or `openKeepingKey`) or a newly derived key.
 */
export function seal(value, keyMaterial, derived = deriveKey(keyMaterial)) {
  const iv = randomBytes(12);
  const { kdf, encKey, checkKey } = derived;
  const header = { format: FORMAT, version: VERSION, cipher: 'aes-256-gcm', kdf };
  const cipher = createCipheriv('aes-256-gcm', encKey, iv);
  cipher.setAAD(Buffer.from(JSON.stringify(header)));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${JSON.stringify({ ...header, keyCheck: keyCheck(checkKey).toString('base64'), iv: iv.toString('base64'), data: data.toString('base64') }, null, 1)}\n`;
}

/** The value sealed in `text`; throws SealError. */
export const open = (text, keyMaterial) => openKeepingKey(text, keyMaterial).value;

/**
 * `{value, derived}`: the value sealed in `text`, and its derived key for
 * writing the store back (null when the store's costs are below the current
 * ones: the next write derives a new key at the current costs). Throws SealError.
 */
export function openKeepingKey(text, keyMaterial) {
  let envelope;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new SealError('format', 'it is not a token store (not JSON: truncated or overwritten?)');
  }
  if (envelope?.format !== FORMAT) throw new SealError('format', 'it is not an instagate token store');
  if (envelope.version !== VERSION) throw new SealError('format', `store version ${envelope.version} is not supported by this version of instagate`);
  const { kdf } = envelope;
  // Bounded cost parameters: a tampered header must not make opening it hang or exhaust memory.
  if (kdf?.name !== 'scrypt' || typeof kdf.salt !== 'string' || !Number.isInteger(kdf.N) || kdf.N < 2 || kdf.N > 2 ** 20
      || (kdf.N & (kdf.N - 1)) !== 0 || !Number.isInteger(kdf.r) || kdf.r < 1 || kdf.r > 32
      || 128 * kdf.N * kdf.r > MAX_KDF_MEMORY || !Number.isInteger(kdf.p) || kdf.p < 1 || kdf.p > 16
      || typeof envelope.iv !== 'string' || typeof envelope.data !== 'string' || typeof envelope.keyCheck !== 'string') {
    throw new SealError('format', 'its header is damaged');
  }
  const header = { format: envelope.format, version: envelope.version, cipher: envelope.cipher, kdf };
  const { encKey, checkKey } = derive(keyMaterial, Buffer.from(kdf.salt, 'base64'), kdf);
  const expected = Buffer.from(envelope.keyCheck, 'base64');
  const actual = keyCheck(checkKey);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new SealError('key', 'the key does not open it (wrong INSTAGATE_KEY or key file)');
  }
  const data = Buffer.from(envelope.data, 'base64');
  try {
    if (data.length < 16) throw new Error('short');
    const decipher = createDecipheriv('aes-256-gcm', encKey, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(Buffer.from(JSON.stringify(header)));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
    const value = JSON.parse(plain.toString('utf8'));
    return { value, derived: currentCosts(kdf) ? { kdf, encKey, checkKey } : null };
  } catch {
    throw new SealError('damaged', 'the key is right but the data fails its integrity check (the file is damaged)');
  }
}

/** A new random key (for the key file). */
export const newKey = () => randomBytes(32).toString('base64url');
