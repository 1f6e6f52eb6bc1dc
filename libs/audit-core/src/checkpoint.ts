/**
 * Signed tree heads: the C2SP tlog-checkpoint note body, signed with Ed25519. A checkpoint
 * commits the log to its first `treeSize` entries; consistency proofs then tie checkpoints together.
 */
import { KeyObject, createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

/** ASN.1 wrapping of a raw 32-byte Ed25519 seed as PKCS#8 (RFC 8410), which node:crypto accepts. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** ASN.1 wrapping of a raw 32-byte Ed25519 public key as SubjectPublicKeyInfo (RFC 8410). */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const HEX_HASH = /^[0-9a-f]{64}$/;

/** A signed statement that the log's first `treeSize` entries have the Merkle root `rootHash`. */
export interface Checkpoint {
  /** Names the log, so a checkpoint of one log cannot be replayed as another's. */
  origin: string;
  treeSize: number;
  /** RFC 6962 root of the first treeSize entries, lowercase hex. */
  rootHash: string;
  /** ISO-8601 time supplied by the caller; this library never reads the clock. */
  timestamp: string;
  /** Base64 Ed25519 signature over {@link checkpointText}. */
  signature: string;
  /** {@link keyIdOf} the signing key, so a verifier can tell which key to use. */
  keyId: string;
}

/** The fields of a checkpoint that its signature covers. */
export type CheckpointFields = Omit<Checkpoint, 'signature' | 'keyId'>;

/** The signed note text: origin, size, base64 root, then a timestamp extension line. */
export function checkpointText(c: CheckpointFields): string {
  if (!c.origin || /\n/.test(c.origin)) throw new RangeError('a checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(c.treeSize) || c.treeSize < 0) throw new RangeError(`tree size ${c.treeSize} is not a count`);
  if (!HEX_HASH.test(c.rootHash)) throw new RangeError('a checkpoint root hash is 64 lowercase hex digits');
  if (!c.timestamp || /\n/.test(c.timestamp)) throw new RangeError('a checkpoint timestamp is one non-empty line');
  return `${c.origin}\n${c.treeSize}\n${Buffer.from(c.rootHash, 'hex').toString('base64')}\ntimestamp ${c.timestamp}\n`;
}

/** The Ed25519 private key whose RFC 8032 seed is the given 32 bytes. */
export function signingKeyFromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed has 32 bytes, not ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The Ed25519 public key for raw 32 bytes, as published in an export header. */
export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new RangeError(`an Ed25519 public key has 32 bytes, not ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The raw 32-byte Ed25519 public key of a private or public key. */
export function publicKeyOf(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new RangeError(`expected an Ed25519 key, got ${pub.asymmetricKeyType}`);
  const der = pub.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

/** A short name for a public key: the first 8 bytes of SHA-256 of its raw form, in hex. */
export function keyIdOf(publicKeyRaw: Buffer): string {
  return createHash('sha256').update(publicKeyRaw).digest().subarray(0, 8).toString('hex');
}

/** Signs a tree head with an Ed25519 private key. */
export function signCheckpoint(fields: CheckpointFields, key: KeyObject): Checkpoint {
  const text = checkpointText(fields);
  return {
    origin: fields.origin,
    treeSize: fields.treeSize,
    rootHash: fields.rootHash,
    timestamp: fields.timestamp,
    signature: sign(null, Buffer.from(text, 'utf8'), key).toString('base64'),
    keyId: keyIdOf(publicKeyOf(key)),
  };
}

/**
 * True when the checkpoint was signed by the given raw Ed25519 key and names it by its key id.
 * Malformed input of any kind gives false, because to a verifier it is just another bad signature.
 */
export function verifyCheckpoint(c: Checkpoint, publicKeyRaw: Buffer): boolean {
  try {
    if (publicKeyRaw.length !== 32 || c.keyId !== keyIdOf(publicKeyRaw)) return false;
    const signature = Buffer.from(c.signature, 'base64');
    // Buffer's base64 decoder skips junk; only the canonical encoding of 64 bytes is accepted.
    if (signature.length !== 64 || signature.toString('base64') !== c.signature) return false;
    return verify(null, Buffer.from(checkpointText(c), 'utf8'), publicKeyFromRaw(publicKeyRaw), signature);
  } catch {
    return false;
  }
}
