import { z } from 'zod';
import { defineOperation } from './openapi/operation.decorator';

// The operations of HealthController and DocsController: probes, metrics, version and the API's
// own description. Public except /metrics; every route answers 415 to a body that is not JSON.

export const HEALTHZ = defineOperation({
  operationId: 'getLiveness',
  tag: 'operations',
  access: 'public',
  summary: 'Liveness: the process is up and serving',
  success: {
    status: 200,
    description: 'Alive',
    content: { 'application/json': z.object({ status: z.literal('ok') }) },
  },
  errors: [415],
});

export const READYZ = defineOperation({
  operationId: 'getReadiness',
  tag: 'operations',
  access: 'public',
  summary: 'Readiness: Redis answers (503 while it does not)',
  success: {
    status: 200,
    description: 'Ready',
    content: { 'application/json': z.object({ status: z.literal('ready') }) },
  },
  errors: [415, 503],
});

export const VERSION = defineOperation({
  operationId: 'getVersion',
  tag: 'operations',
  access: 'public',
  summary: 'Server version and git commit',
  success: {
    status: 200,
    description: 'The version',
    content: { 'application/json': z.object({ version: z.string(), gitSha: z.string() }) },
  },
  errors: [415],
});

export const METRICS = defineOperation({
  operationId: 'getMetrics',
  tag: 'operations',
  access: 'token-or-public',
  summary: 'Prometheus metrics (statehouse_*, process_*, nodejs_*)',
  description:
    'With tokens configured a valid token (any) is needed, unless the server runs with --metrics-public.',
  success: {
    status: 200,
    description: 'The Prometheus text exposition format',
    content: { 'text/plain': z.string() },
  },
  errors: [401, 415],
});

export const OPENAPI = defineOperation({
  operationId: 'getOpenApiDocument',
  tag: 'operations',
  access: 'public',
  summary: 'This OpenAPI document',
  success: {
    status: 200,
    description: 'OpenAPI 3.1, generated from the schemas that validate the requests',
    content: { 'application/json': z.record(z.string(), z.unknown()) },
  },
  errors: [415],
});

export const DOCS = defineOperation({
  operationId: 'getApiReference',
  tag: 'operations',
  access: 'public',
  summary: 'The API reference to browse (Swagger UI, served by the server, works offline)',
  success: {
    status: 200,
    description: 'An HTML page',
    content: { 'text/html': z.string() },
  },
  errors: [415],
});
