export * from './policy';
export * from './policy-schema';
export * from './policy-diff';
export * from './disclosure';
export * from './evidence';
export * from './worker-score';
