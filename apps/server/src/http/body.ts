import type { IncomingMessage } from 'node:http';
import { checkJsonText, MAX_VALUE_DEPTH, ValidationError } from '@statehouse/core';

/**
 * The JSON body parser's options. Bodies up to the largest transaction (16 MiB of operations) plus
 * their JSON framing; `application/json` and `application/*+json` (BodyGateMiddleware answers 415
 * to anything else). The text is checked before JSON.parse: integer literals beyond 2^53 - 1 are
 * refused (JSON.parse would round them), and so is nesting deeper than a record value may be plus
 * the request's own framing (`{ operations: [{ value }] }`: 3 levels); the engine then checks each
 * value's own depth.
 */
export const JSON_BODY_OPTIONS = {
  limit: '20mb',
  type: ['application/json', 'application/*+json'],
  verify: (_request: IncomingMessage, _response: unknown, body: Buffer, encoding: string): void =>
    checkJsonText(body.toString(encoding as BufferEncoding), 'body', MAX_VALUE_DEPTH + 3),
};

/** A JSON request body as an object (a missing body reads as {}); ValidationError otherwise. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (
    body === undefined ||
    body === null ||
    (typeof body === 'object' && Object.keys(body).length === 0 && !Array.isArray(body))
  ) {
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('body', 'must be a JSON object (content-type: application/json)');
  }
  return body as Record<string, unknown>;
}
