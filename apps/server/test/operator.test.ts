import { randomBytes } from 'node:crypto';
import { StatehouseClient } from '@statehouse/client';
import { NamespaceNotEmptyError, PermissionDeniedError } from '@statehouse/core';
import type { RunningServer } from '../src/server';
import { startTestServer } from './support/server';

// The operator API through the server: tokens limit what the listings show and where dumps come
// from and go to (gRPC, through the network client, and HTTP), and the HTTP routes' NDJSON.

let server: RunningServer;
let base: string;
let run: string;
let mine: string;
let theirs: string;
const READER = 'reader-token-0123456789';
const ADMIN = 'admin-token-0123456789ab';
const clients: StatehouseClient[] = [];

async function connect(token: string, namespace: string): Promise<StatehouseClient> {
  const client = await StatehouseClient.connect({
    url: `127.0.0.1:${server.grpcPort}`,
    token,
    namespace,
  });
  clients.push(client);
  return client;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function http(
  method: string,
  path: string,
  options: { token?: string; body?: string; type?: string } = {},
): Promise<{ status: number; type: string; text: string; json: () => Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.token ?? ADMIN}`,
      ...(options.body === undefined
        ? {}
        : { 'content-type': options.type ?? 'application/x-ndjson' }),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

beforeAll(async () => {
  run = randomBytes(5).toString('hex');
  mine = `mine-${run}`;
  theirs = `theirs-${run}`;
  server = await startTestServer({
    tokens: new Map<string, ReadonlySet<string> | '*'>([
      [READER, new Set([mine, `${mine}-copy`])],
      [ADMIN, '*'],
    ]),
  });
  base = `http://127.0.0.1:${server.httpPort}`;
  const admin = await connect(ADMIN, mine);
  for (const namespace of [mine, theirs]) {
    await admin.transaction(
      async (tx) => {
        await tx.write({ agentId: 'agent-1', key: 'k', value: { namespace } });
        await tx.write({ agentId: 'agent-2', key: 'k', value: { namespace } });
      },
      { namespace },
    );
  }
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
});

describe('tokens', () => {
  it('show a token only its namespaces, and refuse another’s agents and dumps', async () => {
    const reader = await connect(READER, mine);
    const admin = await connect(ADMIN, mine);
    const seen = (await reader.listNamespaces()).namespaces;
    expect(seen).toEqual([{ namespace: mine, agentCount: 2, lastCommitTs: 1 }]);
    const all = (await admin.listNamespaces()).namespaces.map((info) => info.namespace);
    expect(all).toEqual(expect.arrayContaining([mine, theirs]));
    expect((await reader.listAgents()).agents.map((agent) => agent.agentId)).toEqual([
      'agent-1',
      'agent-2',
    ]);
    await expect(reader.listAgents({ namespace: theirs })).rejects.toThrow(PermissionDeniedError);
    await expect(collect(reader.exportSnapshot({ namespace: theirs }))).rejects.toThrow(
      PermissionDeniedError,
    );
    // A dump of another namespace restores where it came from by default: refused, nothing written.
    const dump = await collect(admin.exportSnapshot({ namespace: theirs }));
    await expect(reader.importSnapshot(dump)).rejects.toThrow(PermissionDeniedError);
    await expect(reader.importSnapshot(dump, { namespace: mine })).rejects.toThrow(
      NamespaceNotEmptyError,
    );
    const summary = await reader.importSnapshot(dump, { namespace: `${mine}-copy` });
    expect(summary).toEqual({
      namespace: `${mine}-copy`,
      records: 2,
      versions: 2,
      commits: 0,
      atTs: 1,
    });
    expect(
      await admin.getState({ namespace: `${mine}-copy`, agentId: 'agent-2', key: 'k' }),
    ).toEqual({ exists: true, value: { namespace: theirs }, version: 1, commitTs: 1 });
  });

  it('scope the HTTP listings too', async () => {
    const listed = await http('GET', '/v1/namespaces', { token: READER });
    expect(listed.status).toBe(200);
    expect(listed.json().namespaces).toEqual(
      expect.arrayContaining([{ namespace: mine, agentCount: 2, lastCommitTs: 1 }]),
    );
    expect(
      (listed.json().namespaces as Array<{ namespace: string }>).every((info) =>
        info.namespace.startsWith(mine),
      ),
    ).toBe(true);
    const denied = await http('GET', `/v1/agents?namespace=${theirs}`, { token: READER });
    expect(denied.status).toBe(403);
    expect(denied.type).toContain('application/problem+json');
    expect(denied.json().code).toBe('PERMISSION_DENIED');
  });
});

describe('HTTP', () => {
  it('pages agents, streams a dump as NDJSON and restores it from an NDJSON body', async () => {
    const first = await http('GET', `/v1/agents?namespace=${theirs}&limit=1`);
    expect(first.json()).toEqual({
      agents: [{ agentId: 'agent-1', keyCount: 1, lastCommitTs: 1 }],
      cursor: expect.any(String),
    });
    const cursor = first.json().cursor as string;
    const second = await http(
      'GET',
      `/v1/agents?namespace=${theirs}&limit=1&cursor=${encodeURIComponent(cursor)}`,
    );
    expect(second.json()).toEqual({
      agents: [{ agentId: 'agent-2', keyCount: 1, lastCommitTs: 1 }],
      cursor: null,
    });
    const dump = await http('GET', `/v1/export?namespace=${theirs}&history=true`);
    expect(dump.status).toBe(200);
    expect(dump.type).toContain('application/x-ndjson');
    const lines = dump.text.trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ namespace: theirs, history: true, atTs: 1 });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, records: 0, commits: 1, versions: 2 });
    const target = `http-${run}`;
    const restored = await http('POST', `/v1/import?namespace=${target}`, { body: dump.text });
    expect(restored.status).toBe(200);
    expect(restored.json()).toEqual({
      namespace: target,
      records: 2,
      versions: 2,
      commits: 1,
      atTs: 1,
    });
    const again = await http('POST', `/v1/import?namespace=${target}`, {
      body: (await http('GET', `/v1/export?namespace=${mine}`)).text,
    });
    expect(again.status).toBe(409);
    expect(again.json().code).toBe('NAMESPACE_NOT_EMPTY');
  });

  it('answers bad input with problem documents naming the field or the line', async () => {
    const future = await http('GET', `/v1/export?namespace=${theirs}&atTs=999`);
    expect(future.status).toBe(400);
    expect(future.type).toContain('application/problem+json');
    expect(future.text).toContain('atTs');
    const dump = (await http('GET', `/v1/export?namespace=${theirs}`)).text;
    const truncated = dump.split('\n').slice(0, 2).join('\n');
    const refused = await http('POST', `/v1/import?namespace=trunc-${run}`, { body: truncated });
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'SNAPSHOT_INVALID' });
    expect(refused.json().detail).toMatch(/line 3: .*truncated/);
    const json = await http('POST', `/v1/import?namespace=json-${run}`, {
      body: dump.split('\n')[0],
      type: 'application/json',
    });
    expect(json.status).toBe(400);
    expect(json.text).toContain('application/x-ndjson');
    const mode = await http('POST', `/v1/import?namespace=m-${run}&mode=overwrite`, { body: dump });
    expect(mode.status).toBe(400);
    expect(mode.text).toContain('mode');
  });

  it('describes the operator routes in the OpenAPI document and its page', async () => {
    const document = (await http('GET', '/openapi.json')).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/namespaces', '/v1/agents', '/v1/export', '/v1/import']),
    );
    expect(Object.keys(document.paths['/v1/import']!)).toEqual(['post']);
    const importOp = document.paths['/v1/import']!.post as {
      requestBody: { content: Record<string, unknown> };
    };
    expect(Object.keys(importOp.requestBody.content)).toEqual(['application/x-ndjson']);
    const exportOp = document.paths['/v1/export']!.get as {
      responses: { '200': { content: Record<string, unknown> } };
    };
    expect(Object.keys(exportOp.responses['200'].content)).toEqual(['application/x-ndjson']);
  });
});
