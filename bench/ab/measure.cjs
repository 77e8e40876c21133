// One measurement for scripts/bench-ab.mjs, at concurrency 64 against a private Redis (AOF,
// appendfsync always), through the @statehouse/core build at argv[2]. argv[3] is the scenario:
//   blind-write  begin, 3 writes, commit
//   rmw          begin, a read inside the transaction, a write of what it read plus one, commit
//                (each worker its own agent: no conflicts, the read-set check still runs)
// Prints one JSON line: throughput and CPU per transaction of Node and Redis.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const dist = process.argv[2];
const scenario = process.argv[3] ?? 'blind-write';
const seconds = Number(process.argv[4] ?? 4);
if (!['blind-write', 'rmw'].includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
const { Statehouse, startEmbeddedRedis } = require(dist);
const { Redis } = require('ioredis');

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'statehouse-ab-'));
  const redis = await startEmbeddedRedis({ dataDir, appendfsync: 'always' });
  try {
    execFileSync('taskset', ['-p', '-c', '1', String(redis.pid)], { stdio: 'ignore' });
  } catch {
    // no taskset: unpinned
  }
  const client = await Statehouse.connect({ redis: redis.url, namespace: 'ab' });
  const admin = new Redis(redis.url);
  const redisCpuUs = async () => {
    const info = await admin.info('cpu');
    const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)[1]);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  };
  const run = async (ms) => {
    let done = 0;
    const end = Date.now() + ms;
    await Promise.all(
      Array.from({ length: 64 }, async (_, worker) => {
        while (Date.now() < end) {
          const tx = await client.beginTransaction();
          const agentId = `agent-${worker}`;
          if (scenario === 'rmw') {
            const { value } = await tx.get({ agentId, key: 'counter' });
            await tx.write({ agentId, key: 'counter', value: { n: (value?.n ?? 0) + 1 } });
          } else {
            for (const key of ['k1', 'k2', 'k3']) {
              await tx.write({ agentId, key, value: { n: 1, note: 'small' } });
            }
          }
          await tx.commit();
          done++;
        }
      }),
    );
    return done;
  };
  await run(1500);
  const cpu0 = process.cpuUsage();
  const redis0 = await redisCpuUs();
  const transactions = await run(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const redisUs = (await redisCpuUs()) - redis0;
  console.log(
    JSON.stringify({
      txPerSec: Math.round(transactions / seconds),
      nodeUsPerTx: Math.round((cpu.user + cpu.system) / transactions),
      redisUsPerTx: Math.round(redisUs / transactions),
    }),
  );
  admin.disconnect();
  await client.close();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
