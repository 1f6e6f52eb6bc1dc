import { contentHash } from '@clearwork/audit-core';

/** The score components every policy weighs. */
export const COMPONENTS = ['quality', 'latency', 'availability'] as const;
export type Component = (typeof COMPONENTS)[number];

/**
 * A scoring and dispatch policy: every number that affects a score or a decision, with the
 * plain-language text a platform must disclose. Versions are immutable once published.
 */
export interface PolicyDocument {
  readonly version: number;
  readonly weights: Readonly<Record<Component, number>>;
  readonly dispatch: {
    readonly offerTtlSeconds: number;
    readonly maxAttempts: number;
    readonly topK: number;
  };
  readonly disclosure: Readonly<Record<string, string>>;
}

/** Default policy v1, created by the scoring service's first migration. */
export const DEFAULT_POLICY: PolicyDocument = {
  version: 1,
  weights: { quality: 0.5, latency: 0.2, availability: 0.3 },
  dispatch: { offerTtlSeconds: 60, maxAttempts: 5, topK: 20 },
  disclosure: {
    summary:
      'Each task is offered to the eligible worker with the highest composite score. The composite is 50% quality, 20% latency and 30% availability.',
  },
};

/** SHA-256 of the policy's canonical JSON: the identity auditors check a decision against. */
export function policyHash(policy: PolicyDocument): string {
  return contentHash(policy);
}
