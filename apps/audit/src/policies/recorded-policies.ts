import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_POLICY, policyHash, type PolicyDocument } from '@clearwork/scoring-core';
import type { PolicyPublished } from '@clearwork/contracts';
import { eventOf } from '../log/log-entry';
import { LogReader } from '../log/log-reader';

/** A policy version as the log recorded its publication. */
export interface RecordedPolicy {
  readonly version: number;
  readonly contentHash: string;
  readonly publishedAt: string;
  readonly rationale: string;
  readonly document: PolicyDocument;
  readonly seq: number;
}

/**
 * The policy versions the log holds, for replay and explanations: what a decision was judged
 * by is the version it recorded, read back from the log, never the policy in force today.
 */
@Injectable()
export class RecordedPolicies {
  private readonly cache = new Map<number, RecordedPolicy>();

  constructor(@Inject(LogReader) private readonly reader: LogReader) {}

  async all(): Promise<RecordedPolicy[]> {
    const entries = await this.reader.find({ types: ['PolicyPublished'] });
    for (const e of entries) {
      const data = eventOf<PolicyPublished>(e.body).data;
      if (!this.cache.has(data.version)) {
        this.cache.set(data.version, { version: data.version, contentHash: data.contentHash, publishedAt: data.publishedAt, rationale: data.rationale, document: data.document as unknown as PolicyDocument, seq: e.seq });
      }
    }
    return [...this.cache.values()].sort((a, b) => a.version - b.version);
  }

  /** Every recorded version, oldest first, with the built-in default as version 1 when the log holds no version 1. */
  async recorded(): Promise<RecordedPolicy[]> {
    const all = await this.all();
    if (all.some((p) => p.version === DEFAULT_POLICY.version)) return all;
    const builtIn = await this.version(DEFAULT_POLICY.version);
    return builtIn ? [builtIn, ...all] : all;
  }

  /** The recorded version, or the built-in default when it is version 1 with the default's hash. */
  async version(version: number, contentHash?: string): Promise<RecordedPolicy | null> {
    if (!this.cache.has(version)) await this.all();
    const found = this.cache.get(version);
    if (found) return found;
    if (version === DEFAULT_POLICY.version && (!contentHash || contentHash === policyHash(DEFAULT_POLICY))) {
      return { version, contentHash: policyHash(DEFAULT_POLICY), publishedAt: '', rationale: 'Default policy v1.', document: DEFAULT_POLICY, seq: -1 };
    }
    return null;
  }
}
