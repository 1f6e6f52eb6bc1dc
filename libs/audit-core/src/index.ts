export * from './canonical-json';
export * from './digest';
