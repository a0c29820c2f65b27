export * from './profiles.ts';
export * from './errors.ts';
export * from './service-client.ts';
export * from './metrics.ts';
export * from './member-auth.ts';
export { authPlugin, getCallerOrThrow, type AuthPluginOptions, type AuthPreHandler, type Caller } from './auth-plugin.ts';
export { RateLimitExceededError } from './rate-limiter.ts';
