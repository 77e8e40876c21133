// PostgreSQL as a peer: the 3 writes as one statement (INSERT … ON CONFLICT of 3 rows, autocommit)
// and interactively (BEGIN, one upsert per row, COMMIT: 5 round trips, like a staged transaction);
// the increment at SERIALIZABLE (SELECT, UPDATE, COMMIT), run again on a serialization failure
// (40001) or a deadlock (40P01). One connection per worker, statements prepared (named).
import { Client, type QueryConfig } from 'pg';
import {
  HOT_KEYS,
  Tally,
  VALUE_TEXTS,
  randomAgent,
  randomHotKey,
  retryConflicts,
  sumProblem,
  type OpenedPaths,
} from './path';
import type { LocalPostgres } from './local-postgres';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  agent_id text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (agent_id, key)
);
CREATE TABLE IF NOT EXISTS counters (id int PRIMARY KEY, n bigint NOT NULL);
`;
const UPSERT =
  'ON CONFLICT (agent_id, key) DO UPDATE SET value = EXCLUDED.value, version = records.version + 1';
const RETRYABLE = new Set(['40001', '40P01']);

const query = (name: string, text: string, values: unknown[]): QueryConfig => ({
  name,
  text,
  values,
});

export async function openPostgresPaths(
  pg: LocalPostgres,
  concurrency: number,
): Promise<OpenedPaths> {
  const clients = Array.from(
    { length: concurrency },
    () => new Client({ host: pg.host, port: pg.port, user: pg.user, database: pg.database }),
  );
  const close = async () => {
    await Promise.allSettled(clients.map((client) => client.end()));
  };
  try {
    await Promise.all(clients.map((client) => client.connect()));
    const admin = clients[0]!;
    const { rows: settings } = await admin.query<{ fsync: string; sync: string }>(
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync",
    );
    if (settings[0]?.fsync !== 'on' || settings[0].sync !== 'on')
      throw new Error(`PostgreSQL is not durable: ${JSON.stringify(settings[0])}`);
    await admin.query(SCHEMA);
    await admin.query(
      `INSERT INTO counters SELECT i, 0 FROM generate_series(0, ${HOT_KEYS - 1}) i ` +
        'ON CONFLICT (id) DO UPDATE SET n = 0',
    );
    const tally = new Tally();
    const serverCpuMs = () => pg.cpuMs();
    return {
      close,
      paths: [
        {
          id: 'pg-one',
          label: 'PostgreSQL one statement',
          workload: 'write',
          system: 'postgres',
          ours: false,
          serverCpuMs,
          op: async (worker) => {
            await clients[worker]!.query(
              query(
                'upsert3',
                `INSERT INTO records (agent_id, key, value) VALUES ($1, 'k1', $2), ($1, 'k2', $3), ($1, 'k3', $4) ${UPSERT}`,
                [randomAgent(), ...VALUE_TEXTS],
              ),
            );
          },
        },
        {
          id: 'pg-interactive',
          label: 'PostgreSQL interactive',
          workload: 'write',
          system: 'postgres',
          ours: false,
          serverCpuMs,
          op: async (worker) => {
            const client = clients[worker]!;
            const agentId = randomAgent();
            await client.query('BEGIN');
            try {
              for (let k = 0; k < 3; k++)
                await client.query(
                  query(
                    'upsert1',
                    `INSERT INTO records (agent_id, key, value) VALUES ($1, $2, $3) ${UPSERT}`,
                    [agentId, `k${k + 1}`, VALUE_TEXTS[k]],
                  ),
                );
              await client.query('COMMIT');
            } catch (error) {
              await client.query('ROLLBACK').catch(() => undefined);
              throw error;
            }
          },
        },
        {
          id: 'rmw-pg',
          label: 'PostgreSQL SERIALIZABLE',
          workload: 'rmw',
          system: 'postgres',
          ours: false,
          serverCpuMs,
          tally,
          op: (worker) => {
            const client = clients[worker]!;
            const id = randomHotKey();
            return retryConflicts(tally, async () => {
              try {
                await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
                const read = await client.query<{ n: string }>(
                  query('get', 'SELECT n FROM counters WHERE id = $1', [id]),
                );
                const n = Number(read.rows[0]!.n);
                await client.query(
                  query('set', 'UPDATE counters SET n = $2 WHERE id = $1', [id, n + 1]),
                );
                await client.query('COMMIT');
                return true;
              } catch (error) {
                await client.query('ROLLBACK').catch(() => undefined);
                if (RETRYABLE.has((error as { code?: string }).code ?? '')) return false;
                throw error;
              }
            });
          },
          check: async () => {
            const { rows } = await admin.query<{ sum: string }>(
              'SELECT sum(n)::text AS sum FROM counters',
            );
            return sumProblem('PostgreSQL SERIALIZABLE', Number(rows[0]!.sum), tally);
          },
        },
      ],
    };
  } catch (error) {
    await close();
    throw error;
  }
}
