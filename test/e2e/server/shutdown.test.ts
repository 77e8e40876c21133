import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { EventSource } from 'eventsource';
import { startServerProcess } from '../../support/server-process';
import {
  commitOverHttp,
  grpcFollower,
  httpFollower,
} from '../../../apps/server/test/support/followers';
import { V1 } from '../../../apps/server/test/support/server';

// SIGTERM with live replay streams of every kind and requests in flight: every stream ends at once
// with its final event, HTTP and gRPC drain side by side, and the process exits within the grace
// period (the old code waited for the streams until the grace period ran out, gRPC then HTTP).

// A stream that held the shutdown would keep the server up for the whole grace: the exit is
// expected well before it (EXIT_BOUND_MS), with room for a loaded machine.
const GRACE_MS = 20_000;
const EXIT_BOUND_MS = 8000;

it('ends every replay stream with a final event and exits within the grace period', async () => {
  const server = await startServerProcess(['--shutdown-grace-ms', String(GRACE_MS)]);
  const base = `http://127.0.0.1:${server.httpPort}`;
  const ns = `s-${randomBytes(5).toString('hex')}`;
  const commit = (agentId: string, value: object): Promise<number> =>
    commitOverHttp(base, ns, agentId, value);
  await commit('f', { i: 0 });
  // A history larger than the transport's buffers, for a v1 Replay whose reader is slow.
  const big = 'x'.repeat(16_000);
  for (let i = 0; i < 150; i++) await commit('big', { i, big });

  const v1 = new V1(server.grpcPort);
  const ext = new V1(server.grpcPort, undefined, 'ext');
  const query = `namespace=${ns}&agentId=f&follow=true`;
  const followers = {
    ndjson: httpFollower(base, query),
    sse: httpFollower(base, query, { sse: true }),
    ext: grpcFollower(ext, { namespace: ns, agent_id: 'f', follow: true }),
    // A slow reader: after its first event it stops reading, so the stream stays open.
    v1: grpcFollower(v1, { namespace: ns, agent_id: 'big' }, { pauseAfter: 1 }),
  };
  const live = [followers.ndjson, followers.sse, followers.ext];
  const deadline = Date.now() + 5000;
  while (!live.every((f) => f.seen.events.length === 1) || followers.v1.seen.events.length === 0) {
    if (Date.now() > deadline) throw new Error('the followers did not start');
    await new Promise((done) => setTimeout(done, 25));
  }

  // A keep-alive client committing all along: what the server answers, it answers properly.
  let exited = false;
  void server.exited.then(() => (exited = true));
  const statuses: number[] = [];
  const writer = (async () => {
    for (let i = 0; !exited; i++) {
      try {
        const response = await fetch(`${base}/v1/commit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            namespace: ns,
            operations: [{ op: 'write', agentId: 'w', key: 'k', value: { i } }],
          }),
        });
        await response.text();
        statuses.push(response.status);
      } catch {
        await new Promise((done) => setTimeout(done, 20)); // refused or reset once it is gone
      }
    }
  })();
  await new Promise((done) => setTimeout(done, 300));

  const signalled = Date.now();
  server.child.kill('SIGTERM');
  followers.v1.resume!(); // the slow reader goes on reading: it reaches the end of the stream
  expect(await server.exited).toBe(0);
  const exitMs = Date.now() - signalled;
  await Promise.all([writer, ...Object.values(followers).map((f) => f.done)]);
  v1.close();
  ext.close();

  expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
  expect(followers.ndjson.seen).toMatchObject({ events: [1], end: 'server shutting down' });
  expect(followers.sse.seen).toMatchObject({ events: [1], end: 'server shutting down' });
  expect(followers.ext.seen).toMatchObject({ events: [1], error: '14 server shutting down' });
  expect(followers.v1.seen.error).toBe('14 server shutting down'); // UNAVAILABLE
  expect(followers.v1.seen.events.length).toBeLessThan(150);
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.filter((status) => status !== 200)).toEqual([]);
  process.stdout.write(`exit ${exitMs} ms after SIGTERM (grace ${GRACE_MS} ms)\n`);
}, 60_000);

it('ends server-sent-event followers at once on SIGTERM, far within a long grace period', async () => {
  // A grace period no test waits for: the exit waits neither for the SSE streams (heartbeats
  // running, an EventSource that reconnects by itself) nor for their keep-alive connections (a
  // client that keeps its connection open: before, the server waited for its keep-alive timeout,
  // 5 s, after the stream's end).
  const grace = 60_000;
  const server = await startServerProcess([
    '--shutdown-grace-ms',
    String(grace),
    '--sse-heartbeat-ms',
    '100',
  ]);
  const base = `http://127.0.0.1:${server.httpPort}`;
  const ns = `s-${randomBytes(5).toString('hex')}`;
  const path = `/v1/replay?namespace=${ns}&agentId=f&follow=true`;
  const socket = connect(server.httpPort, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.write(
    `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n` +
      'connection: keep-alive\r\n\r\n',
  );
  const ends: string[] = [];
  const source = new EventSource(`${base}${path}`);
  source.addEventListener('end', (event) => ends.push(event.data));
  try {
    await new Promise<void>((resolve) => source.addEventListener('open', () => resolve()));
    const beats = Date.now() + 10_000;
    while (received.split(': heartbeat').length < 3 && Date.now() < beats) {
      await new Promise((done) => setTimeout(done, 20));
    }
    expect(received).toMatch(/^HTTP\/1\.1 200 [^]*: heartbeat\n\n[^]*: heartbeat\n\n/);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const exitMs = Date.now() - signalled;
    expect(received).toContain('event: end\ndata: {"reason":"server shutting down"}\n\n');
    expect(ends).toEqual([JSON.stringify({ reason: 'server shutting down' })]);
    expect(exitMs).toBeLessThan(4000);
    process.stdout.write(`SSE: exit ${exitMs} ms after SIGTERM (grace ${grace} ms)\n`);
  } finally {
    source.close();
    socket.destroy();
  }
}, 60_000);
