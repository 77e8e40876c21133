import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { ValidationError } from '@statehouse/core';
import { objectBody } from '../body';
import { operationOf, type OperationSpec } from './operation.decorator';

/**
 * A request's input, checked against its operation's schemas (the ones the OpenAPI document
 * shows): the query (@ValidQuery), the path parameters (@ValidParams) and the JSON body
 * (@ValidBody). A mismatch is a ValidationError naming the field (400 VALIDATION_FAILED); the
 * engine then checks what a schema cannot say (name lengths in UTF-8 bytes, value depth and size).
 */
function input(part: 'query' | 'params' | 'body') {
  return createParamDecorator((_: unknown, context: ExecutionContext): unknown => {
    const handler = context.getHandler();
    const spec = operationOf(handler);
    const schema = spec && schemaOf(spec, part);
    if (!schema) {
      throw new Error(`${handler.name} reads its ${part} but its @ApiOperation declares none`);
    }
    const request = context.switchToHttp().getRequest<Request>();
    if (part === 'query') return parse(schema, queryValues(schema, request.query));
    if (part === 'params') return parse(schema, request.params);
    return parse(schema, objectBody(request.body));
  })();
}

export const ValidQuery = (): ParameterDecorator => input('query');
export const ValidParams = (): ParameterDecorator => input('params');
export const ValidBody = (): ParameterDecorator => input('body');

function schemaOf(spec: OperationSpec, part: 'query' | 'params' | 'body'): z.ZodObject | undefined {
  return part === 'body' ? spec.body?.schema : spec[part];
}

/** The schema's output, or the ValidationError of its first problem. */
function parse(schema: z.ZodType, value: unknown): unknown {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ValidationError(fieldOf(issue.path), ruleOf(issue));
}

/** `operations[0].op` from ['operations', 0, 'op']. */
function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  let field = '';
  for (const part of path) {
    if (typeof part === 'number') field += `[${part}]`;
    else field += field === '' ? String(part) : `.${String(part)}`;
  }
  return field || 'body';
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
};

function ruleOf(issue: z.core.$ZodIssue): string {
  const got = 'input' in issue ? ` (got ${describe(issue.input)})` : '';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}${got}`;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}${got}`;
    case 'invalid_union': {
      // A discriminated union names its discriminator's values (the path ends at it).
      const { options, discriminator } = issue as { options?: unknown[]; discriminator?: string };
      if (!options || discriminator === undefined) return `must match one of its forms${got}`;
      const given = (issue.input as Record<string, unknown> | null)?.[discriminator];
      return `must be ${options.map((v) => JSON.stringify(v)).join(' or ')} (got ${describe(given)})`;
    }
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** A short description of a value for an error message, never its whole content. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * A query's values typed as its schema says: `?limit=5` is the integer 5, `?follow=true` (or 1,
 * false, 0) a boolean; an empty integer or boolean is absent; a parameter given twice is refused.
 */
function queryValues(schema: z.ZodObject, query: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.shape)) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') throw new ValidationError(name, 'must be given once');
    const type = baseType(field as z.ZodType);
    if (type === 'number') {
      if (raw === '') continue;
      if (!/^-?\d+$/.test(raw)) throw new ValidationError(name, 'must be an integer');
      values[name] = Number(raw);
    } else if (type === 'boolean') {
      if (raw === '') continue;
      if (raw !== 'true' && raw !== 'false' && raw !== '1' && raw !== '0') {
        throw new ValidationError(name, 'must be true or false');
      }
      values[name] = raw === 'true' || raw === '1';
    } else {
      values[name] = raw;
    }
  }
  return values;
}

/** The type under optional / default wrappers. */
function baseType(schema: z.ZodType): string {
  let def = schema._zod.def as { type: string; innerType?: z.ZodType };
  while ((def.type === 'optional' || def.type === 'default') && def.innerType) {
    def = def.innerType._zod.def;
  }
  return def.type;
}
