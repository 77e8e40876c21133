// docker/compose.yaml end to end: the images built by `npm run docker:build` (scripts/docker-build.mjs;
// without a registry, on bases assembled from this machine's node and redis-server), Redis and three
// server replicas brought up by the compose CLI, a mixed load from outside the containers over all
// replicas, one replica stopped under load and Redis crashed (SIGKILL) and started again mid-load;
// then what a user would check: every acknowledged commit is there, nothing refused is, the bank
// balances add up, commit timestamps are unique and follow real-time order, every request got an
// answer and every error was a typed one.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { containersAvailable } from '../support/redis-container';
import { ComposeProject, REPO_ROOT, runCommand } from './support/compose-project';
import { HttpReplica } from './support/http-replica';
import { BANK, INITIAL_BALANCE, LEDGER, NOTES, Workload, type Operation } from './support/workload';

interface ReplayEvent {
  readonly txId: string;
  readonly commitTs: number;
  readonly operations: ReadonlyArray<{
    readonly key: string;
    readonly value: { readonly balance?: number; readonly op: string } | null;
    readonly version: number;
  }>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const verbose = (message: string) => {
  if (process.env.STATEHOUSE_VERBOSE_SETUP) process.stderr.write(`[compose.test] ${message}\n`);
};

describe('docker/compose.yaml', () => {
  it('resolves the image and port settings, with defaults: official images, loopback ports', async () => {
    const chosen = new ComposeProject(`statehouse-config-${randomBytes(4).toString('hex')}`, {
      STATEHOUSE_SERVER_IMAGE: 'registry.example/statehouse/server:1.2.3',
      STATEHOUSE_REDIS_IMAGE: 'registry.example/redis:7.2',
      STATEHOUSE_SERVER_2_HTTP_PORT: '18182',
    });
    const defaults = new ComposeProject(`statehouse-config-${randomBytes(4).toString('hex')}`, {
      STATEHOUSE_SERVER_IMAGE: '', // empty reads as unset
      STATEHOUSE_REDIS_IMAGE: '',
      STATEHOUSE_NODE_IMAGE: '',
    });
    try {
      expect(
        (await chosen.run(['config', '--services'])).split('\n').filter(Boolean).sort(),
      ).toEqual(['redis', 'server-1', 'server-2', 'server-3']);
      const config = await chosen.run(['config']);
      expect(config.match(/image: registry\.example\/statehouse\/server:1\.2\.3/g)).toHaveLength(3);
      expect(config).toMatch(/image: registry\.example\/redis:7\.2/);
      expect(config).toMatch(/18182/);
      expect(config).toMatch(/--appendfsync\s+- always/);

      const plain = await defaults.run(['config']);
      expect(plain.match(/image: statehouse\/server:latest/g)).toHaveLength(3);
      expect(plain).toMatch(/image: redis:7\n/);
      expect(plain).toMatch(/BASE_IMAGE: node:22-bookworm-slim/);
      expect(plain).not.toMatch(/0\.0\.0\.0/); // published on 127.0.0.1 unless asked otherwise
    } finally {
      await chosen.down();
      await defaults.down();
    }
  });
});

if (containersAvailable()) {
  describe('docker/compose.yaml: three replicas on one Redis, a replica stopped and Redis crashed mid-load', () => {
    const id = randomBytes(4).toString('hex');
    const token = randomBytes(24).toString('hex');
    const namespace = `compose-${id}`;
    const accounts = Array.from({ length: 6 }, (_, i) => `acct-${i}`);
    const untyped: string[] = [];
    let project: ComposeProject | undefined;
    let replicas: HttpReplica[] = [];

    beforeAll(async () => {
      let t0 = Date.now();
      const build = await runCommand(
        process.execPath,
        ['scripts/docker-build.mjs', '--no-env-file', '--tag', 'statehouse/server:test'],
        { cwd: REPO_ROOT, timeoutMs: 600_000 },
      );
      if (build.code !== 0) {
        throw new Error(
          `npm run docker:build failed:\n${build.stdout.slice(-4000)}${build.stderr}`,
        );
      }
      const images = Object.fromEntries(
        [...build.stdout.matchAll(/^(STATEHOUSE_[A-Z]+_IMAGE)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
      ) as Record<string, string>;
      verbose(`images ${JSON.stringify(images)} built in ${Date.now() - t0} ms`);

      // Six distinct ports: each one's listener stays open until all are chosen (ports taken and
      // released one after the other can repeat, and two replicas then ask Docker for the same).
      const free = await distinctFreePorts(6);
      const ports: Record<string, string> = {};
      for (const n of [1, 2, 3]) {
        ports[`STATEHOUSE_SERVER_${n}_HTTP_PORT`] = String(free[2 * n - 2]);
        ports[`STATEHOUSE_SERVER_${n}_GRPC_PORT`] = String(free[2 * n - 1]);
      }
      project = new ComposeProject(`statehouse-test-${id}`, {
        ...images,
        ...ports,
        STATEHOUSE_TOKENS: JSON.stringify({ [token]: [namespace] }),
        STATEHOUSE_INSECURE: 'false',
        STATEHOUSE_LOG_LEVEL: 'warn',
        STATEHOUSE_PUBLISH_HOST: '127.0.0.1',
      });
      t0 = Date.now();
      await project.run(['up', '--detach', '--no-build']);
      replicas = [1, 2, 3].map(
        (n) =>
          new HttpReplica(
            `server-${n}`,
            `http://127.0.0.1:${ports[`STATEHOUSE_SERVER_${n}_HTTP_PORT`]}`,
            token,
            untyped,
          ),
      );
      await Promise.all(replicas.map((replica) => replica.waitReady(60_000)));
      verbose(`compose up and three replicas ready in ${Date.now() - t0} ms`);
    }, 660_000);

    afterAll(async () => {
      const t0 = Date.now();
      await project?.down();
      verbose(`compose down in ${Date.now() - t0} ms`);
    }, 120_000);

    it('keeps every acknowledged commit, refuses with typed errors, and the bank adds up', async () => {
      const [server1, , server3] = replicas as [HttpReplica, HttpReplica, HttpReplica];
      try {
        // Six accounts of INITIAL_BALANCE each, in one commit.
        const init = await server1.request('POST', '/v1/commit', {
          namespace,
          operations: accounts.map((key) => ({
            op: 'write',
            agentId: BANK,
            key,
            value: { balance: INITIAL_BALANCE, op: 'init' },
          })),
        });
        expect(init.status).toBe(200);
        const initTs = init.body.commitTs as number;

        const load = new Workload(replicas, namespace, accounts);
        const t0 = Date.now();
        load.start(6);
        await sleep(3_000);

        // A replica is stopped (SIGTERM: graceful) while clients keep sending to it over keep-alive
        // connections; once it is gone they carry on with the two others, as behind a load
        // balancer that notices. It must stop within its grace period (not be SIGKILLed by
        // compose at 15 s), answering what it accepted.
        const stopStartedAt = Date.now();
        await project!.run(['stop', '--timeout', '15', 'server-2']);
        const stopEndedAt = Date.now();
        load.drop('server-2');
        await sleep(2_000);

        // Redis crashes (SIGKILL: no shutdown) and comes back with its AOF.
        const redisStartedBefore = await project!.inspect('redis', '{{.State.StartedAt}}');
        const crashAt = Date.now();
        await project!.run(['kill', '-s', 'SIGKILL', 'redis']);
        await sleep(2_000);
        await project!.run(['start', 'redis']);
        await Promise.all([server1.waitReady(60_000), server3.waitReady(60_000)]);
        const recoveredAt = Date.now();
        await sleep(3_000);
        await load.stop();
        verbose(
          `load ${Date.now() - t0} ms: stop of server-2 ${stopEndedAt - stopStartedAt} ms, Redis ` +
            `back ${recoveredAt - crashAt} ms after the crash; ${load.operations.length} commits ` +
            `tried, refused before commit: ${JSON.stringify([...load.refusedBeforeCommit])}`,
        );
        const ops = load.operations;
        const count = (predicate: (op: Operation) => boolean) => ops.filter(predicate).length;
        const committedBeforeCrash = count(
          (op) => op.outcome.kind === 'committed' && op.endedAt < crashAt,
        );
        const committedAfterRecovery = count(
          (op) => op.outcome.kind === 'committed' && op.startedAt > recoveredAt,
        );
        verbose(
          `outcomes ${JSON.stringify(load.tally())}; committed before the crash ` +
            `${committedBeforeCrash}, after recovery ${committedAfterRecovery}`,
        );

        // No account ever went missing; the load did real work on each side of the crash, on
        // every replica while it was up.
        expect(load.anomalies.slice(0, 5)).toEqual([]);
        expect(committedBeforeCrash).toBeGreaterThan(20);
        expect(committedAfterRecovery).toBeGreaterThan(5);
        for (const replica of ['server-1', 'server-2', 'server-3']) {
          expect(
            count((op) => op.replica === replica && op.outcome.kind === 'committed'),
          ).toBeGreaterThan(0);
        }
        expect(load.committed('cross-replica')).toBeGreaterThan(0);

        // The stopped replica exited cleanly; the others never restarted; Redis really restarted.
        expect(await project!.inspect('server-2', '{{.State.Running}} {{.State.ExitCode}}')).toBe(
          'false 0',
        );
        for (const service of ['server-1', 'server-3']) {
          expect(await project!.inspect(service, '{{.State.Running}} {{.RestartCount}}')).toBe(
            'true 0',
          );
        }
        expect(await project!.inspect('redis', '{{.State.StartedAt}}')).not.toBe(
          redisStartedBefore,
        );

        // Every request got an answer (none hung, no connection was cut), but for those sent to
        // server-2 while it went away (refused or closed); every error answer was a typed one:
        // also while Redis was down.
        expect(load.noAnswers.filter((n) => n.replica !== 'server-2' || n.timedOut)).toEqual([]);
        for (const { at } of load.noAnswers) {
          expect(at).toBeGreaterThanOrEqual(stopStartedAt);
          expect(at).toBeLessThanOrEqual(stopEndedAt + 1_000);
        }
        expect(untyped).toEqual([]);

        // A cross-replica commit whose outcome was unknown: committing it again says which it was.
        const resolved = new Map<string, boolean>();
        for (const op of ops) {
          if (op.type !== 'cross-replica' || op.outcome.kind !== 'unknown') continue;
          const again = await server3.request('POST', `/v1/transactions/${op.txId}/commit`);
          resolved.set(
            op.id,
            again.status === 200 || again.code === 'TRANSACTION_ALREADY_COMMITTED',
          );
        }

        const problems: string[] = [];
        const acknowledged = ops.filter((op) => op.outcome.kind === 'committed');
        const ackTs = (op: Operation) =>
          op.outcome.kind === 'committed' ? op.outcome.commitTs : 0;

        // Each written value names its operation: the log holds exactly the acknowledged ones, plus
        // possibly some whose outcome was unknown, and never one that was refused.
        const checkLog = (events: readonly ReplayEvent[], type: Operation['type']) => {
          const inLog = new Map<string, number>();
          for (const event of events) {
            for (const operation of event.operations) {
              if (operation.value) inLog.set(operation.value.op, event.commitTs);
            }
          }
          for (const op of ops.filter((o) => o.type === type)) {
            const ts = inLog.get(op.id);
            if (op.outcome.kind === 'committed' && ts !== op.outcome.commitTs) {
              problems.push(
                `${op.id} acknowledged with commitTs ${op.outcome.commitTs}, log: ${ts}`,
              );
            }
            if (op.outcome.kind === 'rejected' && ts !== undefined) {
              problems.push(`${op.id} refused (${op.outcome.code}) but in the log at ${ts}`);
            }
            if (resolved.has(op.id) && resolved.get(op.id) !== (ts !== undefined)) {
              problems.push(`${op.id}: a second commit said ${resolved.get(op.id)}, log: ${ts}`);
            }
          }
          return inLog;
        };
        const bankEvents = await server1.replay<ReplayEvent>(namespace, BANK);
        checkLog(bankEvents, 'transfer');
        checkLog(await server3.replay<ReplayEvent>(namespace, NOTES), 'note');
        checkLog(await server1.replay<ReplayEvent>(namespace, LEDGER), 'cross-replica');

        // The bank: replaying its log from the first commit gives versions without gaps, a total
        // that never changes, no negative balance, and exactly the state a read returns now.
        expect(bankEvents[0]?.commitTs).toBe(initTs);
        const balances = new Map<string, { balance: number; version: number }>();
        const total = accounts.length * INITIAL_BALANCE;
        for (const event of bankEvents) {
          for (const { key, value, version } of event.operations) {
            const before = balances.get(key)?.version ?? 0;
            if (version !== before + 1) problems.push(`${key}: version ${version} after ${before}`);
            balances.set(key, { balance: value?.balance ?? NaN, version });
          }
          const sum = [...balances.values()].reduce((s, b) => s + b.balance, 0);
          if (event.commitTs !== initTs && sum !== total) {
            problems.push(`bank total ${sum} after commit ${event.commitTs}`);
          }
        }
        for (const key of accounts) {
          const now = await server3.request(
            'GET',
            `/v1/state?namespace=${namespace}&agentId=${BANK}&key=${key}`,
          );
          const value = (now.body.value as { balance: number }).balance;
          expect({ key, balance: value, version: now.body.version }).toEqual({
            key,
            ...balances.get(key),
          });
          expect(value).toBeGreaterThanOrEqual(0);
        }
        expect([...balances.values()].reduce((s, b) => s + b.balance, 0)).toBe(total);

        // commitTs: unique, and an acknowledged commit that started after another was
        // acknowledged has a larger commitTs (across the replica stop and the Redis crash).
        const timestamps = [initTs, ...acknowledged.map(ackTs)];
        expect(new Set(timestamps).size).toBe(timestamps.length);
        const byEnd = [...acknowledged].sort((a, b) => a.endedAt - b.endedAt);
        let maxEndedTs = initTs;
        let i = 0;
        for (const op of [...acknowledged].sort((a, b) => a.startedAt - b.startedAt)) {
          while (i < byEnd.length && byEnd[i]!.endedAt < op.startedAt) {
            maxEndedTs = Math.max(maxEndedTs, ackTs(byEnd[i++]!));
          }
          if (ackTs(op) <= maxEndedTs) {
            problems.push(
              `${op.id} got commitTs ${ackTs(op)} after ${maxEndedTs} was acknowledged`,
            );
          }
        }
        expect(problems).toEqual([]);
      } catch (error) {
        const logs = await project!.logs(30);
        throw new Error(`${(error as Error).message}\n\ncompose logs:\n${logs}`, { cause: error });
      }
    }, 240_000);
  });
}

/** `count` different free ports on 127.0.0.1, all held until every one is chosen. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', done);
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}
