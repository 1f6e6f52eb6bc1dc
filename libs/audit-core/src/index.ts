export * from './canonical-json';
export * from './digest';
export * from './merkle';
export * from './checkpoint';
export * from './hash-chain';
export * from './log-export';
export * from './csv';
export * from './outcome-report';
