import 'reflect-metadata';
import { Controller, Get, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { SERVER_CONFIG } from '../../common/injection-tokens';
import { ApiOperation, defineOperation } from './operation.decorator';
import { OpenApiDocument } from './openapi-document';

// The document is made from the routes Nest registered: a route with its @ApiOperation appears
// with its schemas; one without stops the server at start, naming it.

const LIST_THINGS = defineOperation({
  operationId: 'listThings',
  tag: 'state',
  access: 'token',
  summary: 'List things',
  query: z.object({ limit: z.int().optional() }),
  params: z.object({ group: z.string() }),
  success: {
    status: 200,
    description: 'Things',
    content: { 'application/json': z.object({ things: z.array(z.string()) }) },
  },
  errors: [400, 401],
});

@Controller('v1')
class DescribedController {
  @Get('groups/:group/things')
  @ApiOperation(LIST_THINGS)
  list(): void {}
}

@Controller('v1')
class UndescribedController {
  @Post('things')
  add(): void {}
}

async function documentOf(controllers: Array<new () => object>): Promise<OpenApiDocument> {
  const module = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers,
    providers: [OpenApiDocument, { provide: SERVER_CONFIG, useValue: { host: '127.0.0.1' } }],
  }).compile();
  const document = module.get(OpenApiDocument);
  await module.close();
  return document;
}

describe('OpenApiDocument', () => {
  it('renders a registered route from its @ApiOperation, path parameters in OpenAPI form', async () => {
    const document = await documentOf([DescribedController]);
    expect(() => document.check()).not.toThrow();
    const built = document.forOrigin('http://127.0.0.1:8080', 50051) as {
      servers: unknown;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(built.servers).toEqual([{ url: 'http://127.0.0.1:8080', description: 'This server' }]);
    const operation = built.paths['/v1/groups/{group}/things']!.get!;
    expect(operation).toMatchObject({
      operationId: 'listThings',
      parameters: [
        { in: 'query', name: 'limit', schema: { type: 'integer' } },
        { in: 'path', name: 'group', required: true, schema: { type: 'string' } },
      ],
      responses: {
        '200': { content: { 'application/json': { schema: { type: 'object' } } } },
        '400': {
          description: expect.stringContaining('VALIDATION_FAILED') as string,
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          },
        },
        '401': { description: expect.stringContaining('UNAUTHENTICATED') as string },
      },
    });
  });

  it('refuses a route without @ApiOperation, naming it and its handler', async () => {
    const document = await documentOf([DescribedController, UndescribedController]);
    expect(() => document.check()).toThrow(
      /HTTP routes without @ApiOperation .*: POST \/v1\/things \(UndescribedController\.add\)/,
    );
  });

  it('names the configured address, or none when the server binds every interface', async () => {
    const document = await documentOf([DescribedController]);
    expect(document.configuredOrigin(8080)).toBe('http://127.0.0.1:8080');
    const everywhere = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [OpenApiDocument, { provide: SERVER_CONFIG, useValue: { host: '0.0.0.0' } }],
    }).compile();
    expect(everywhere.get(OpenApiDocument).configuredOrigin(8080)).toBeUndefined();
    await everywhere.close();
  });
});
