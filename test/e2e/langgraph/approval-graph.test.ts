// A real LangGraph graph (StateGraph, a ToolNode step, interrupt() for approval) on
// StatehouseSaver, run by replica processes on one Redis: a replica SIGKILLed mid-graph, another
// resuming it, the history, time travel, and two replicas running 50 threads at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { StateSnapshot } from '@langchain/langgraph';
import type { BaseMessage } from '@langchain/core/messages';
import { Statehouse } from '@statehouse/core';
import { StatehouseSaver } from '@statehouse/langgraph';
import { uniqueNamespace } from '../../../libs/core/test/support/statehouse';
import { startServerProcess, type ServerProcess } from '../../support/server-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixture = require('./fixtures/approval-graph.js') as {
  buildGraph(saver: StatehouseSaver): Graph;
  itemOf(thread: string): string;
  price(item: string): number;
};

interface Values {
  messages: BaseMessage[];
  decision?: { approved: boolean };
  result?: string;
}
interface Graph {
  invoke(input: unknown, config: object): Promise<Values>;
  getState(config: object): Promise<StateSnapshot>;
  getStateHistory(config: object): AsyncIterable<StateSnapshot>;
  updateState(config: object, values: object, asNode: string): Promise<object>;
}
type Line = Record<string, unknown>;

const SCRIPT = join(__dirname, 'fixtures', 'approval-graph.js');
const redisUrl = () => process.env.REDIS_URL!;

class Replica {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(namespace: string, command: string, args: object, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [SCRIPT, command, JSON.stringify(args)], {
      env: { ...process.env, ...env, REDIS_URL: redisUrl(), STATEHOUSE_NAMESPACE: namespace },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as Line);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  /** The first line `match` accepts (waits for it; jest's timeout bounds the wait). */
  async waitFor(match: (line: Line) => boolean): Promise<Line> {
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  /** Runs to its end; its lines (fails on a non-zero exit). */
  async finish(): Promise<Line[]> {
    const code = await this.exited;
    if (code !== 0) throw new Error(`replica exited with ${code}`);
    return this.lines;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

let client: Statehouse;
let server: ServerProcess;
beforeAll(async () => {
  client = await Statehouse.connect({ redis: redisUrl() });
  server = await startServerProcess(); // for replicas on the network client
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

function graphIn(namespace: string): Graph {
  return fixture.buildGraph(new StatehouseSaver(client, { namespace }));
}

const thread = (id: string) => ({ configurable: { thread_id: id } });
const question = (id: string) =>
  `${fixture.itemOf(id)} costs ${fixture.price(fixture.itemOf(id))} EUR`;

async function history(graph: Graph, id: string): Promise<StateSnapshot[]> {
  const snapshots: StateSnapshot[] = [];
  for await (const snapshot of graph.getStateHistory(thread(id))) snapshots.push(snapshot);
  return snapshots;
}

const toolMessages = (values: Values) =>
  values.messages.filter((m) => m.getType() === 'tool').map((m) => m.content);

/** The six checkpoints of a finished run, newest first: steps, what ran next, parent links. */
function expectCompleteRun(snapshots: StateSnapshot[], id: string): void {
  expect(snapshots.map((s) => s.metadata?.step)).toEqual([4, 3, 2, 1, 0, -1]);
  expect(snapshots.map((s) => s.next)).toEqual([
    [],
    ['execute'],
    ['approval'],
    ['tools'],
    ['plan'],
    ['__start__'],
  ]);
  snapshots.forEach((s, i) => {
    expect(s.config.configurable?.thread_id).toBe(id);
    expect(s.parentConfig?.configurable?.checkpoint_id).toBe(
      snapshots[i + 1]?.config.configurable?.checkpoint_id,
    );
  });
}

it('a replica SIGKILLed inside the tool step: another (on the network client) resumes from the last checkpoint and finishes with Command({ resume })', async () => {
  const namespace = uniqueNamespace('lg-e2e');
  const a = new Replica(namespace, 'start', { threads: ['crash'] }, { HANG_IN_TOOL: '1' });
  await a.waitFor((line) => line.inTool === 'crash');
  await a.kill();

  const graph = graphIn(namespace);
  const left = await graph.getState(thread('crash'));
  expect(left.next).toEqual(['tools']); // the last checkpoint: plan done, the tool call pending
  expect(toolMessages(left.values as Values)).toEqual([]);

  const b = new Replica(
    namespace,
    'recover',
    { threads: ['crash'], decision: { approved: true } },
    { STATEHOUSE_SERVER_URL: server.url },
  );
  expect(await b.finish()).toEqual([
    { thread: 'crash', interrupt: { question: question('crash') } },
    { thread: 'crash', result: `booked ${fixture.itemOf('crash')}`, decision: { approved: true } },
  ]);
  const done = await graph.getState(thread('crash'));
  expect(toolMessages(done.values as Values)).toEqual([question('crash')]);
  expectCompleteRun(await history(graph, 'crash'), 'crash');
}, 120_000);

it('a replica SIGKILLed while its run waits for approval: another resumes it with Command({ resume }); history and time travel', async () => {
  const namespace = uniqueNamespace('lg-e2e');
  const a = new Replica(namespace, 'start', { threads: ['wait'] }, { STAY_ALIVE: '1' });
  expect(await a.waitFor((line) => 'interrupt' in line)).toEqual({
    thread: 'wait',
    interrupt: { question: question('wait') },
  });
  await a.waitFor((line) => line.idle === true);
  await a.kill();

  const b = new Replica(namespace, 'resume', { threads: ['wait'], decision: { approved: true } });
  expect(await b.finish()).toEqual([
    { thread: 'wait', result: `booked ${fixture.itemOf('wait')}`, decision: { approved: true } },
  ]);

  // getStateHistory lists every checkpoint, and the tool ran once (in A: B did not redo it)
  const graph = graphIn(namespace);
  const snapshots = await history(graph, 'wait');
  expectCompleteRun(snapshots, 'wait');
  expect(toolMessages(snapshots[0]!.values as Values)).toEqual([question('wait')]);

  // time travel: give step 2's approval another answer; the thread forks there
  const atApproval = snapshots.find((s) => s.next[0] === 'approval')!;
  expect(atApproval.tasks[0]!.interrupts).toHaveLength(1);
  const fork = await graph.updateState(
    atApproval.config,
    { decision: { approved: false } },
    'approval',
  );
  const forked = await graph.invoke(null, fork);
  expect(forked.result).toBe(`cancelled ${fixture.itemOf('wait')}`);

  const after = await history(graph, 'wait');
  expect(after).toHaveLength(snapshots.length + 2);
  const [forkHead, forkExecute] = after;
  expect((forkHead!.values as Values).result).toBe(`cancelled ${fixture.itemOf('wait')}`);
  expect(forkExecute!.parentConfig?.configurable?.checkpoint_id).toBe(
    atApproval.config.configurable?.checkpoint_id,
  );
  // the original branch is intact: its final checkpoint still says booked
  const original = await graph.getState(snapshots[0]!.config);
  expect((original.values as Values).result).toBe(`booked ${fixture.itemOf('wait')}`);
  expect((original.values as Values).decision).toEqual({ approved: true });
  expect((await graph.getState(thread('wait'))).values).toMatchObject({
    decision: { approved: false },
  });

  // time travel: re-run from step 1 (before the tool); the tool runs again on a new branch, which
  // stops at the approval, and both earlier branches keep their ends
  const atTools = snapshots.find((s) => s.next[0] === 'tools')!;
  await graph.invoke(null, atTools.config);
  const [rerun, forkPoint] = await history(graph, 'wait');
  expect(rerun!.next).toEqual(['approval']);
  expect(toolMessages(rerun!.values as Values)).toEqual([question('wait')]);
  expect((rerun!.values as Values).decision).toBeUndefined();
  // LangGraph first copies the checkpoint it re-runs from (source 'fork'), then runs on it
  expect(forkPoint!.metadata?.source).toBe('fork');
  expect(rerun!.parentConfig?.configurable?.checkpoint_id).toBe(
    forkPoint!.config.configurable?.checkpoint_id,
  );
  expect(forkPoint!.parentConfig?.configurable?.checkpoint_id).toBe(
    atTools.config.configurable?.checkpoint_id,
  );
  expect(await history(graph, 'wait')).toHaveLength(after.length + 2);
  expect(((await graph.getState(snapshots[0]!.config)).values as Values).result).toBe(
    `booked ${fixture.itemOf('wait')}`,
  );
  expect(((await graph.getState(forkHead!.config)).values as Values).result).toBe(
    `cancelled ${fixture.itemOf('wait')}`,
  );
}, 120_000);

it('two replicas (embedded, network client) run 50 threads at once: no checkpoint lost or mixed up', async () => {
  const namespace = uniqueNamespace('lg-e2e');
  const ids = Array.from({ length: 50 }, (_, i) => `thread-${i}`);
  const [first, second] = [ids.slice(0, 25), ids.slice(25)];
  // each replica starts half the threads, then resumes the other replica's half, concurrently
  const network = { STATEHOUSE_SERVER_URL: server.url };
  const started = await Promise.all([
    new Replica(namespace, 'start', { threads: first }).finish(),
    new Replica(namespace, 'start', { threads: second }, network).finish(),
  ]);
  expect(started.flat()).toHaveLength(50);
  for (const line of started.flat()) {
    expect(line.interrupt).toEqual({ question: question(line.thread as string) });
  }
  await Promise.all([
    new Replica(namespace, 'resume', { threads: second, decision: { approved: true } }).finish(),
    new Replica(
      namespace,
      'resume',
      { threads: first, decision: { approved: false } },
      network,
    ).finish(),
  ]);

  const graph = graphIn(namespace);
  for (const id of ids) {
    const snapshots = await history(graph, id);
    expectCompleteRun(snapshots, id);
    const values = snapshots[0]!.values as Values;
    const approved = second.includes(id);
    expect(values.result).toBe(`${approved ? 'booked' : 'cancelled'} ${fixture.itemOf(id)}`);
    expect(values.messages[0]!.content).toBe(fixture.itemOf(id));
    expect(toolMessages(values)).toEqual([question(id)]);
  }
  const saver = new StatehouseSaver(client, { namespace });
  const all: string[] = [];
  for await (const tuple of saver.list({}))
    all.push(tuple.config.configurable?.thread_id as string);
  expect(all).toHaveLength(50 * 6);
  expect(new Set(all)).toEqual(new Set(ids));
}, 180_000);
