import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'puppeteer-core';
import { startServerProcess, type ServerProcess } from '../../support/server-process';
import {
  clickLink,
  commit,
  launchBrowser,
  openPage,
  waitForText,
  waitForTexts,
  write,
} from './browser';

// The web inspector (/ui) in a real browser against a real server process: the walk from a
// namespace to a value, a diff, the value as of a commitTs, the live timeline, a transaction,
// bad input (unknown names, HTML in values, a huge value), and no console error on any page.

const DIST = join(__dirname, '..', '..', '..', 'apps', 'inspector', 'dist');
const XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let server: ServerProcess;
let browser: Browser;
let ns: string;
let ui: string;
const commits: Array<{ commitTs: number; txId: string }> = [];

beforeAll(async () => {
  ns = `ui-${randomBytes(4).toString('hex')}`;
  server = await startServerProcess();
  ui = `${server.httpUrl}/ui`;
  browser = await launchBrowser();
  // An agent whose plan changes over three commits, a note holding HTML, a huge value, and
  // other agents for the prefix search.
  for (const [i, steps] of [['read'], ['read', 'search'], ['read', 'search', 'answer']].entries()) {
    commits.push(
      await commit(server.httpUrl, ns, [write('planner', 'plan', { round: i + 1, steps })]),
    );
  }
  await commit(server.httpUrl, ns, [
    write('planner', 'note', { html: XSS }),
    write('planner', 'big', { text: 'x'.repeat(200_000) }),
  ]);
  await commit(
    server.httpUrl,
    ns,
    ['planner-b', 'summarizer'].map((id) => write(id, 'k', { id })),
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('serves a bundle under 300 KB gzipped, from the built files (no CDN)', async () => {
  const script = readFileSync(join(DIST, 'assets', 'app.js'));
  const style = readFileSync(join(DIST, 'assets', 'app.css'));
  const gzipped = gzipSync(script).length + gzipSync(style).length;
  expect(gzipped).toBeLessThan(300 * 1024);
  const response = await fetch(ui);
  // Scripts from this server only: no inline script, no eval, no other origin.
  expect(response.headers.get('content-security-policy')).toContain("script-src 'self';");
  const page = await response.text();
  expect(page).not.toMatch(/https?:\/\//); // every asset from this server
  const served = await fetch(`${server.httpUrl}/ui/assets/app.js`);
  expect(served.status).toBe(200);
  expect(Buffer.from(await served.arrayBuffer()).equals(script)).toBe(true);
});

it('walks namespace → agent → key, reads a value, diffs two versions, reads as of a commitTs', async () => {
  const { page, errors, screenshot } = await openPage(browser);
  await page.goto(ui);
  await waitForText(page, '#namespaces', ns);
  await screenshot('namespaces');
  await clickLink(page, ns);
  await screenshot('namespace-agents');
  // Prefix search: "planner" finds planner and planner-b, not summarizer.
  await page.waitForSelector('input[name=prefix]'); // rendered with the namespace's page
  await page.type('input[name=prefix]', 'planner');
  await page.click('form.inline button[type=submit]');
  // The filtered page, once rendered (not the empty table of the moment it loads).
  const filtered = ['planner', 'planner-b'];
  expect(await waitForTexts(page, '#agents tbody td:first-child', filtered)).toEqual(filtered);

  await clickLink(page, 'planner');
  const keys = await waitForText(page, '#keys', 'plan');
  expect(keys).toContain('"answer"'); // the latest value, pretty-printed
  await screenshot('agent');

  await clickLink(page, 'plan');
  const latest = await waitForText(page, 'main section', 'Latest: version 3');
  expect(latest).toContain('"round": 3');
  // Diff version 1 → 3: the steps added, round changed.
  await page.select('select[name=from]', '1');
  await page.select('select[name=to]', '3');
  const removed = ['-   "round": 1,', '-     "read"'];
  const added = ['+   "round": 3,', '+     "read",', '+     "search",', '+     "answer"'];
  expect(await waitForTexts(page, '#diff .removed', removed)).toEqual(removed);
  expect(await waitForTexts(page, '#diff .added', added)).toEqual(added);
  // As of the second commit: version 2.
  await page.type('input[name=atTs]', String(commits[1]!.commitTs));
  await page.click('section form.inline button[type=submit]');
  const asOf = await waitForText(page, '#as-of', 'version 2');
  expect(asOf).toContain('"search"');
  expect(asOf).not.toContain('"answer"');
  await screenshot('key');
  expect(errors).toEqual([]);
});

it("pages through a namespace's agents, 50 at a time, and back", async () => {
  const crowd = Array.from({ length: 55 }, (_, i) => `crowd-${String(i).padStart(2, '0')}`);
  await commit(
    server.httpUrl,
    ns,
    crowd.map((id) => write(id, 'k', { id })),
  );
  const { page, errors } = await openPage(browser);
  await page.goto(`${ui}#/ns/${encodeURIComponent(ns)}`);
  await page.waitForSelector('input[name=prefix]'); // rendered with the namespace's page
  await page.type('input[name=prefix]', 'crowd-');
  await page.click('form.inline button[type=submit]');
  const shows = (expected: string[]) =>
    waitForTexts(page, '#agents tbody td:first-child', expected);
  expect(await shows(crowd.slice(0, 50))).toEqual(crowd.slice(0, 50));
  await page.click('.pager button.next');
  await waitForText(page, '.pager', 'Page 2');
  expect(await shows(crowd.slice(50))).toEqual(crowd.slice(50));
  expect(await page.$eval('.pager button.next', (b) => b.disabled)).toBe(true);
  await page.click('.pager button:first-child');
  await waitForText(page, '.pager', 'Page 1');
  expect(await shows(crowd.slice(0, 50))).toEqual(crowd.slice(0, 50));
  expect(errors).toEqual([]);
});

it('shows HTML in a value as text and never runs it; a huge value is cut with a way to expand', async () => {
  const { page, errors } = await openPage(browser);
  await page.goto(`${ui}#/ns/${encodeURIComponent(ns)}/agent/planner`);
  await waitForText(page, '#keys', 'onerror');
  const shown = await page.$$eval('#keys .value pre', (cells) => cells.map((c) => c.textContent));
  expect(shown.some((text) => text.includes(XSS.replace(/"/g, '\\"')))).toBe(true);
  expect(await page.$$('#keys img, #keys script')).toHaveLength(0);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

  const big = (await page.$$('#keys tbody tr')).length;
  expect(big).toBe(3);
  const cut = await page.$$eval('#keys .value pre', (cells) =>
    Math.max(...cells.map((c) => c.textContent.length)),
  );
  expect(cut).toBeLessThan(3000);
  await page.click('#keys button.expand');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#keys .value pre')].some((c) => c.textContent.length > 200_000),
  );
  expect(errors).toEqual([]);
});

it('follows the timeline live: a commit made through the API appears without a reload', async () => {
  const { page, errors, screenshot } = await openPage(browser);
  await page.goto(`${ui}#/ns/${encodeURIComponent(ns)}/agent/planner/timeline`);
  await waitForText(page, '#live', 'Live');
  await page.waitForSelector(`#timeline li[data-commit-ts="${commits[0]!.commitTs}"]`);
  const next = await commit(server.httpUrl, ns, [
    write('planner', 'plan', { round: 4, steps: [] }),
  ]);
  const item = await page.waitForSelector(`#timeline li[data-commit-ts="${next.commitTs}"]`);
  expect(await item!.evaluate((li) => li.textContent)).toContain(next.txId);
  // With the time it committed (the log entry's, on Redis' clock): within a minute of now.
  const committedAt = await item!.$eval('time.commit-time', (t) => t.getAttribute('datetime'));
  expect(Math.abs(Date.parse(committedAt!) - Date.now())).toBeLessThan(60_000);
  // Newest first, each commit once.
  const order = await page.$$eval('#timeline > li', (items) =>
    items.map((li) => Number(li.getAttribute('data-commit-ts'))),
  );
  expect(order[0]).toBe(next.commitTs);
  expect(new Set(order).size).toBe(order.length);
  await screenshot('timeline');

  // Its transaction: state, times, and its operations on this agent.
  await clickLink(page, next.txId, '#timeline');
  const facts = await waitForText(page, '#transaction', 'committed');
  expect(facts).toContain(String(next.commitTs));
  expect(await waitForText(page, '#operations', 'plan')).toContain('"round": 4');
  await screenshot('transaction');
  expect(errors).toEqual([]);
});

it('says so for an unknown namespace, agent or key, and for a malformed address', async () => {
  const { page, errors, screenshot } = await openPage(browser);
  const at = (hash: string) => page.goto(`${ui}#${hash}`);
  await at(`/ns/${encodeURIComponent(`${ns}-nope`)}`);
  await waitForText(page, '.notice', 'Unknown namespace');
  await at(`/ns/${encodeURIComponent(ns)}/agent/nobody`);
  await waitForText(page, '.notice', 'Unknown agent “nobody”');
  await at(`/ns/${encodeURIComponent(ns)}/agent/planner/key/missing`);
  await waitForText(page, '.notice', 'Unknown key “missing”');
  await screenshot('unknown-key');
  await at('/ns/%E0%A4%A');
  await waitForText(page, '.notice', 'not well formed');
  await at('/nowhere/at/all');
  await waitForText(page, '.notice', 'There is no page');
  expect(errors).toEqual([]);
});

it("shows the example agent's research run: its keys, their versions and values", async () => {
  // What apps/example-agent's ResearchAgentService commits for one run (start, then one
  // transaction per step: the step's output and the progress together; the answer at the end),
  // put in through the HTTP API. Its screenshot is the README's (docs/images/inspector.png).
  const steps = ['plan', 'search', 'read', 'analyze', 'answer'];
  const agentId = 'research-42';
  const question = 'Which Redis data types suit a versioned agent memory?';
  await commit(server.httpUrl, ns, [
    write(agentId, 'progress', { question, done: 0, answer: null }),
  ]);
  const outputs: string[] = [];
  for (const [i, step] of steps.entries()) {
    const output = `${step}(${question})${i ? ` after ${i} step(s)` : ''}`;
    outputs.push(output);
    const last = i === steps.length - 1;
    await commit(server.httpUrl, ns, [
      write(agentId, `step:${i + 1}`, { step, output }),
      write(agentId, 'progress', { question, done: i + 1, answer: last ? output : null }),
      ...(last ? [write(agentId, 'answer', { answer: output })] : []),
    ]);
  }
  const { page, errors, screenshot } = await openPage(browser);
  await page.goto(`${ui}#/ns/${encodeURIComponent(ns)}/agent/${agentId}`);
  await waitForText(page, '#keys', 'step:5');
  const rows = await page.$$eval('#keys tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)),
  );
  expect(rows).toEqual([
    ['answer', '1'],
    ['progress', '6'],
    ...steps.map((_, i) => [`step:${i + 1}`, '1']),
  ]);
  await screenshot('example-agent');
  expect(errors).toEqual([]);
});
