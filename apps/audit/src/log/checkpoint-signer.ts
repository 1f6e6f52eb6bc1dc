import { Inject, Injectable } from '@nestjs/common';
import { keyIdOf, publicKeyOf, signCheckpoint, signingKeyFromSeed, type Checkpoint } from '@clearwork/audit-core';
import { SERVICE_CONFIG } from '@clearwork/platform';
import type { KeyObject } from 'node:crypto';
import type { AuditConfig } from '../config';

/** Signs checkpoints with the configured Ed25519 key and tells verifiers which key that is. */
@Injectable()
export class CheckpointSigner {
  private readonly key: KeyObject;
  readonly publicKey: Buffer;
  readonly keyId: string;
  readonly origin: string;

  constructor(@Inject(SERVICE_CONFIG) config: AuditConfig) {
    this.key = signingKeyFromSeed(Buffer.from(config.AUDIT_SIGNING_KEY, 'base64'));
    this.publicKey = publicKeyOf(this.key);
    this.keyId = keyIdOf(this.publicKey);
    this.origin = config.AUDIT_LOG_ORIGIN;
  }

  sign(treeSize: number, rootHash: Buffer, timestamp: Date): Checkpoint {
    return signCheckpoint({ origin: this.origin, treeSize, rootHash: rootHash.toString('hex'), timestamp: timestamp.toISOString() }, this.key);
  }
}
