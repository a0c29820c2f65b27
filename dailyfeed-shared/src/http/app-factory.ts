/**
 * The Fastify app every service starts from: JSON logs with a request id that
 * travels to other services, one error handler producing the api.md envelope,
 * body validation without type coercion, CORS, health checks, Prometheus metrics,
 * and OpenAPI docs generated from the route schemas. Services register their own
 * decorators and routes on the returned instance; `server.ts` alone calls `runService`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import { envelopeOf, installErrorHandling } from './error-handler.ts';
import { refuseNulCharacters } from './nul-guard.ts';
import { ErrorCode } from '../contracts/error-codes.ts';
import { validatorCompiler } from './validation.ts';
import { childTraceparent, requestIdFrom, runWithRequestContext } from './request-context.ts';
import { splitList } from '../config/config.ts';
import { HealthState, registerHealthRoutes } from './health.ts';

export type ServiceApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus registry of this app: services add their own gauges and counters. */
    metrics: Registry;
    /** Readiness checks and the startup flag behind /healthcheck/*. */
    health: HealthState;
    serviceName: string;
  }
}

export interface ServiceAppOptions {
  /** e.g. `member-svc` */
  name: string;
  version?: string;
  description?: string;
  config: { LOG_LEVEL: string; DAILYFEED_CORS_ORIGINS: string; TRUSTED_PROXY_HOPS?: number };
  /** false in tests that want silence; default: pino JSON at LOG_LEVEL. */
  logger?: FastifyServerOptions['logger'];
  bodyLimit?: number;
}

const EXPOSED_HEADERS = ['Authorization', 'X-Token-Refresh-Needed', 'X-Relogin-Required', 'X-Request-Id', 'Retry-After'];

export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = Fastify({
    logger: options.logger ?? {
      level: options.config.LOG_LEVEL,
      base: { service: options.name },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '<redacted>' },
    },
    genReqId: (req) => requestIdFrom(headerOf(req.headers['x-request-id'])),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // A hop count, not `true`: with `true` request.ip is the leftmost X-Forwarded-For entry,
    // which the client writes itself (the gateway appends the real peer on the right).
    trustProxy: trustHops(options.config.TRUSTED_PROXY_HOPS ?? 1),
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    // Malformed URLs (`/api/posts/%zz`) fail in the router, before the error handler.
    frameworkErrors: (error, request, reply) => {
      const generic = reply as unknown as { code(status: number): { send(payload: unknown): unknown } };
      void generic.code(400).send(envelopeOf(request, 400, ErrorCode.VALIDATION_FAILED, error.message));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('serviceName', options.name);
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);
  refuseNulCharacters(app);

  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    runWithRequestContext({ requestId: String(request.id), traceparent: childTraceparent(headerOf(request.headers.traceparent)) }, done);
  });

  await app.register(cors, {
    origin: splitList(options.config.DAILYFEED_CORS_ORIGINS),
    credentials: true,
    exposedHeaders: EXPOSED_HEADERS,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  });

  registerMetrics(app, options.name);
  app.decorate('health', new HealthState());
  registerHealthRoutes(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: options.name, version: options.version ?? '0.0.0', description: options.description ?? '' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  return app;
}

function registerMetrics(app: ServiceApp, name: string): void {
  const registry = new Registry();
  registry.setDefaultLabels({ service: name });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.decorate('metrics', registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}

/** Trusts the nearest `hops` proxies (fastify's own integer form, typed as a function). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

const headerOf = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
