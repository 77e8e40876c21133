import { randomBytes } from 'node:crypto';
import {
  PermissionDeniedError,
  ValidationError,
  VersionCompactedError,
  type ReplayEvent,
} from '@statehouse/core';
import { StatehouseClient } from '@statehouse/client';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// Retention through the server (issue 16): the policy and compaction over gRPC (the network
// client) and HTTP, errors below the horizon on both (OUT_OF_RANGE / 410 naming the horizon),
// tokens, the default policy flags and the metrics.

const TOKEN = 'retention-token-0123456789';
let server: ServerProcess;
let namespace: string;
let client: StatehouseClient;

beforeAll(async () => {
  namespace = `ret-${randomBytes(5).toString('hex')}`;
  // A key prefix of its own gives the server its own compaction queue: the metrics below count
  // what this server's worker removed, which no other process's worker may take from it.
  server = await startServerProcess([
    '--tokens',
    JSON.stringify({ [TOKEN]: [namespace] }),
    '--metrics-public',
    '--key-prefix',
    `ret-${randomBytes(4).toString('hex')}`,
  ]);
  client = await StatehouseClient.connect({ url: server.url, token: TOKEN, namespace });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

async function writeVersions(count: number, key = 'k'): Promise<number[]> {
  const stamps: number[] = [];
  for (let i = 1; i <= count; i++) {
    const tx = await client.beginTransaction({ buffered: true });
    await tx.write({ agentId: 'agent', key, value: { n: i } });
    stamps.push(await tx.commit());
  }
  return stamps;
}

function http(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.httpUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });
}

it('sets a policy, compacts, and refuses reads below the horizon on gRPC and HTTP', async () => {
  const stamps = await writeVersions(4);
  expect(await client.setRetention({ maxVersionsPerKey: 2 })).toMatchObject({
    namespace,
    policy: { maxVersionsPerKey: 2 },
    source: 'namespace',
  });
  // Setting the policy schedules the namespace's compaction (its first run comes at once), so
  // this run may find the work done: the totals say what was removed.
  const result = await client.compact();
  expect(result).toMatchObject({ namespace, compactedTs: stamps[2] });
  expect(await client.getRetention()).toMatchObject({
    compactedTs: stamps[2],
    removed: { versions: 2, logEntries: 2, deletedRecords: 0 },
  });

  // gRPC: the engine's error class, code and horizon.
  const error = await client
    .getStateAtVersion({ agentId: 'agent', key: 'k', version: 1 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(VersionCompactedError);
  expect(error).toMatchObject({ code: 'VERSION_COMPACTED', compactedTs: stamps[2] });
  await expect(
    client.getState({ agentId: 'agent', key: 'k', atTs: stamps[0]! }),
  ).rejects.toMatchObject({
    code: 'VERSION_COMPACTED',
  });
  expect(await client.getStateAtVersion({ agentId: 'agent', key: 'k', version: 3 })).toMatchObject({
    value: { n: 3 },
  });

  // HTTP: 410 problem+json naming the horizon.
  const gone = await http(`/v1/state?namespace=${namespace}&agentId=agent&key=k&version=1`);
  expect(gone.status).toBe(410);
  expect(gone.headers.get('content-type')).toContain('application/problem+json');
  expect(await gone.json()).toMatchObject({
    status: 410,
    code: 'VERSION_COMPACTED',
    compactedTs: stamps[2],
  });
  const asOf = await http(`/v1/state?namespace=${namespace}&agentId=agent&key=k&atTs=${stamps[0]}`);
  expect(asOf.status).toBe(410);
  expect((await asOf.json()) as { detail: string }).toMatchObject({
    detail: expect.stringContaining(`compactedTs ${stamps[2]}`),
  });

  // Replays: refused below the horizon, or started at it with fromHorizon (gRPC and HTTP).
  const replayError = await (async () => {
    for await (const event of client.replay({ agentId: 'agent' })) void event;
  })().catch((e: unknown) => e);
  expect(replayError).toBeInstanceOf(VersionCompactedError);
  const events: ReplayEvent[] = [];
  for await (const event of client.replay({ agentId: 'agent', fromHorizon: true })) {
    events.push(event);
  }
  expect(events.map((e) => e.commitTs)).toEqual([stamps[2], stamps[3]]);
  expect(events[0]!.horizon).toBe(stamps[2]);
  expect(events[1]!.horizon).toBeUndefined();
  const refused = await http(`/v1/replay?namespace=${namespace}&agentId=agent`);
  expect(refused.status).toBe(410);
  const lines = (
    await (await http(`/v1/replay?namespace=${namespace}&agentId=agent&fromHorizon=true`)).text()
  )
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ReplayEvent);
  expect(lines.map((e) => [e.commitTs, e.horizon])).toEqual([
    [stamps[2], stamps[2]],
    [stamps[3], undefined],
  ]);

  // The metrics show what this server's compaction removed and the horizon.
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  expect(metrics).toContain(`statehouse_compacted_entries_total{namespace="${namespace}"} 2`);
  expect(metrics).toContain(`statehouse_compaction_horizon{namespace="${namespace}"} ${stamps[2]}`);
});

it('serves the policy over HTTP, with typed errors for bad rules and other namespaces', async () => {
  const put = await http('/v1/retention', {
    method: 'PUT',
    body: JSON.stringify({ namespace, maxAgeMs: 86_400_000, deletedRecordTtlMs: 0 }),
  });
  expect(put.status).toBe(200);
  expect(await put.json()).toMatchObject({
    policy: { maxAgeMs: 86_400_000, deletedRecordTtlMs: 0 },
    source: 'namespace',
  });
  const got = await http(`/v1/retention?namespace=${namespace}`);
  expect(await got.json()).toMatchObject({
    policy: { maxAgeMs: 86_400_000, deletedRecordTtlMs: 0 },
  });
  const compacted = await http('/v1/compact', {
    method: 'POST',
    body: JSON.stringify({ namespace }),
  });
  expect(compacted.status).toBe(200);
  expect(await compacted.json()).toMatchObject({ namespace, removed: { versions: 0 } });

  const bad = await http('/v1/retention', {
    method: 'PUT',
    body: JSON.stringify({ namespace, maxVersionsPerKey: 0 }),
  });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({
    code: 'VALIDATION_FAILED',
    detail: expect.stringContaining('maxVersionsPerKey'),
  });
  const other = await http('/v1/retention', {
    method: 'PUT',
    body: JSON.stringify({ namespace: 'someone-else', maxVersionsPerKey: 1 }),
  });
  expect(other.status).toBe(403);

  await expect(client.setRetention({ maxVersionsPerKey: -1 })).rejects.toBeInstanceOf(
    ValidationError,
  );
  await expect(client.compact({ namespace: 'someone-else' })).rejects.toBeInstanceOf(
    PermissionDeniedError,
  );
});

it('applies the default policy of the --retention-* flags to namespaces without their own', async () => {
  const own = await startServerProcess([
    '--retention-max-versions',
    '1',
    '--compaction-interval-ms',
    '200',
  ]);
  const c = await StatehouseClient.connect({
    url: own.url,
    namespace: `dflt-${randomBytes(5).toString('hex')}`,
  });
  try {
    expect(await c.getRetention()).toMatchObject({
      policy: { maxVersionsPerKey: 1 },
      source: 'default',
    });
    for (let i = 0; i < 3; i++) {
      await c.transaction(async (tx) => tx.write({ agentId: 'a', key: 'k', value: { i } }));
    }
    // Compacted on schedule by the server's worker, with nobody asking.
    const deadline = Date.now() + 15_000;
    while ((await c.getRetention()).removed.versions < 2 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 100));
    }
    expect((await c.getRetention()).removed.versions).toBe(2);
  } finally {
    await c.close();
    await own.stop();
  }
});

it('refuses a bad --retention-* flag at start, naming it', async () => {
  await expect(startServerProcess(['--retention-max-versions', '0'])).rejects.toThrow(
    /--retention-max-versions/,
  );
});
