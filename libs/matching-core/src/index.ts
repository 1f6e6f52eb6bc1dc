export * from './candidate';
export * from './eligibility-filters';
export * from './rank-candidates';
export * from './summarise';
export * from './explanation';
export * from './fairness';
export * from './score-plugins';
