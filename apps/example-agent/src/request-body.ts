import { BadRequestException } from '@nestjs/common';

/** The JSON object a request must send (`Content-Type: application/json`). */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('send a JSON object with Content-Type: application/json');
  }
  return body as Record<string, unknown>;
}

export function requiredString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new BadRequestException(`${field} must be a non-empty string`);
  }
  return value;
}

export function requiredBoolean(input: Record<string, unknown>, field: string): boolean {
  const value = input[field];
  if (typeof value !== 'boolean') throw new BadRequestException(`${field} must be true or false`);
  return value;
}
