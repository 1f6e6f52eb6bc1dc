export * from './factories';
export * from './simulation';
export * from './simulator/latency-histogram';
export * from './simulator/open-loop';
export * from './simulator/simulated-workers';
export * from './plain-ranking';
