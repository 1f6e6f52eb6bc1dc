/** Injection tokens for the platform's shared clients. */
export const KAFKA = Symbol('KAFKA');
export const REDIS = Symbol('REDIS');
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
