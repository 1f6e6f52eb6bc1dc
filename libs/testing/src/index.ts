export * from './factories';
export * from './simulation';
