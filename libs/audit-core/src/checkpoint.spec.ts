import { sign } from 'node:crypto';
import {
  type Checkpoint,
  checkpointText,
  keyIdOf,
  publicKeyFromRaw,
  publicKeyOf,
  signCheckpoint,
  signingKeyFromSeed,
  verifyCheckpoint,
} from './checkpoint';

const seedA = Buffer.alloc(32, 7);
const seedB = Buffer.alloc(32, 8);
const fields = {
  origin: 'clearwork.example/audit',
  treeSize: 150,
  rootHash: '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  timestamp: '2025-01-02T03:04:05.000Z',
};

describe('checkpoints (Ed25519 signed tree heads)', () => {
  const key = signingKeyFromSeed(seedA);
  const pub = publicKeyOf(key);
  const signed = signCheckpoint(fields, key);

  it('writes the C2SP note body', () => {
    expect(checkpointText(fields)).toBe(
      'clearwork.example/audit\n150\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\ntimestamp 2025-01-02T03:04:05.000Z\n',
    );
    expect(() => checkpointText({ ...fields, origin: 'a\nb' })).toThrow(RangeError);
    expect(() => checkpointText({ ...fields, rootHash: 'ABCD' })).toThrow(RangeError);
  });

  it('round-trips a signature and names the key', () => {
    expect(pub).toHaveLength(32);
    expect(signed.keyId).toBe(keyIdOf(pub));
    expect(signed.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(verifyCheckpoint(signed, pub)).toBe(true);
  });

  it.each<[string, (c: Checkpoint) => Checkpoint]>([
    ['size', (c) => ({ ...c, treeSize: c.treeSize + 1 })],
    ['root', (c) => ({ ...c, rootHash: `0${c.rootHash.slice(1)}` })],
    ['timestamp', (c) => ({ ...c, timestamp: '2025-01-02T03:04:06.000Z' })],
    ['origin', (c) => ({ ...c, origin: 'someone.else/audit' })],
    ['key id', (c) => ({ ...c, keyId: '0000000000000000' })],
    [
      'signature byte',
      (c) => {
        const sig = Buffer.from(c.signature, 'base64');
        sig[10] ^= 1;
        return { ...c, signature: sig.toString('base64') };
      },
    ],
    ['signature encoding', (c) => ({ ...c, signature: `${c.signature}!` })],
    ['size type', (c) => ({ ...c, treeSize: Number.NaN })],
  ])('rejects a changed %s', (_what, change) => {
    expect(verifyCheckpoint(change(signed), pub)).toBe(false);
  });

  it('rejects a checkpoint under a different key, and malformed keys', () => {
    const other = publicKeyOf(signingKeyFromSeed(seedB));
    expect(verifyCheckpoint(signed, other)).toBe(false);
    // Signed by B but claiming A's key id: the signature check still fails.
    const forged = { ...signCheckpoint(fields, signingKeyFromSeed(seedB)), keyId: signed.keyId };
    expect(verifyCheckpoint(forged, pub)).toBe(false);
    expect(verifyCheckpoint(signed, pub.subarray(0, 31))).toBe(false);
    expect(() => signingKeyFromSeed(Buffer.alloc(31))).toThrow(RangeError);
  });

  it('derives keys from the seed as RFC 8032 does (test vector 1)', () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const secret = signingKeyFromSeed(seed);
    expect(publicKeyOf(secret).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(sign(null, Buffer.alloc(0), secret).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    const raw = publicKeyOf(secret);
    expect(publicKeyOf(publicKeyFromRaw(raw)).equals(raw)).toBe(true);
  });
});
