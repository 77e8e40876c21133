#!/usr/bin/env node
// Paired A/B benchmark of throughput: this working tree against an earlier commit.
//
//   npm run bench:ab -- <git ref> [pairs] [scenario]   e.g. npm run bench:ab -- HEAD~5 8 rmw
//
// scenario: blind-write (default), rmw (a read inside the transaction, then a write), or all.
// Builds @statehouse/core of <ref> in a temporary git worktree, then alternates measurements of
// the two builds (bench/ab/measure.cjs; Node pinned to CPU 0 and Redis to CPU 1 when taskset
// exists) and reports each pair and the mean ratio with its spread. Pairs cancel most of the
// drift of a shared machine; single runs here vary by ±20%.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [ref, pairsArg] = process.argv.slice(2);
if (!ref) {
  console.error('usage: npm run bench:ab -- <git ref> [pairs] [blind-write|rmw|all]');
  process.exit(2);
}
const pairs = Number(pairsArg ?? 6);
const scenarioArg = process.argv[4] ?? 'blind-write';
const scenarios = scenarioArg === 'all' ? ['blind-write', 'rmw'] : [scenarioArg];
if (!scenarios.every((s) => ['blind-write', 'rmw'].includes(s))) {
  console.error(`unknown scenario ${scenarioArg}: blind-write, rmw or all`);
  process.exit(2);
}
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

const worktree = mkdtempSync(join(tmpdir(), 'statehouse-ab-ref-'));
rmSync(worktree, { recursive: true });
run('git', ['worktree', 'add', '--detach', worktree, ref], root);
try {
  symlinkSync(join(root, 'node_modules'), join(worktree, 'node_modules'));
  // A workspace's own node_modules (the contract's @grpc/proto-loader, say) is not hoisted.
  for (const lib of ['libs/contract', 'libs/core']) {
    const own = join(root, lib, 'node_modules');
    if (existsSync(own) && existsSync(join(worktree, lib))) {
      symlinkSync(own, join(worktree, lib, 'node_modules'));
    }
  }
  // Core references @statehouse/contract (since 24627fa): build both, as `npm run build` does.
  const projects = ['libs/contract/tsconfig.lib.json', 'libs/core/tsconfig.lib.json'].filter((p) =>
    existsSync(join(worktree, p)),
  );
  run(join(root, 'node_modules/.bin/tsc'), ['-b', ...projects], worktree);
  run(process.execPath, ['scripts/copy-assets.mjs'], worktree);
  run('npm', ['run', 'build', '--silent'], root);

  const builds = { before: join(worktree, 'libs/core/dist'), after: join(root, 'libs/core/dist') };
  const taskset = spawnSync('taskset', ['--version']).status === 0;
  const measure = (dist, scenario) => {
    const args = [join(root, 'bench/ab/measure.cjs'), dist, scenario];
    const out = taskset
      ? execFileSync('taskset', ['-c', '0', process.execPath, ...args], { cwd: root })
      : execFileSync(process.execPath, args, { cwd: root });
    return JSON.parse(out.toString().trim().split('\n').pop());
  };
  for (const scenario of scenarios) {
    const ratios = [];
    for (let i = 0; i < pairs; i++) {
      // Alternate which side goes first, so a drift of the machine does not favour one side.
      const order = i % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
      const result = {};
      for (const side of order) result[side] = measure(builds[side], scenario);
      const ratio = result.after.txPerSec / result.before.txPerSec;
      ratios.push(ratio);
      console.log(
        `${scenario} pair ${i + 1}: before ${JSON.stringify(result.before)}  ` +
          `after ${JSON.stringify(result.after)}  after/before ${ratio.toFixed(3)}`,
      );
    }
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const sd = Math.sqrt(
      ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ratios.length - 1),
    );
    const half = (2 * sd) / Math.sqrt(ratios.length);
    console.log(
      `${scenario} throughput after/before ${ref}: ${mean.toFixed(3)} ` +
        `(±${half.toFixed(3)}, about 95%, over ${ratios.length} pairs)`,
    );
  }
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root });
  if (existsSync(worktree)) rmSync(worktree, { recursive: true, force: true });
}
