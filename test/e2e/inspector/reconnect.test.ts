import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Browser } from 'puppeteer-core';
import { startServerProcess, type ServerProcess } from '../../support/server-process';
import { commit, launchBrowser, openPage, waitForText, write } from './browser';

// The live timeline across a server restart: the stream ends at shutdown, the page reconnects
// with Last-Event-ID, and the commits made meanwhile and after appear once each, without a reload.

let browser: Browser;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function serverOn(port: number): Promise<ServerProcess> {
  const server = await startServerProcess(['--http-port', String(port), '--grpc-port', '0']);
  servers.push(server);
  return server;
}

it('keeps following after the server restarts: every commit once, none missed', async () => {
  const ns = `ui-restart-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const first = await serverOn(port);
  const before = await commit(first.httpUrl, ns, [write('agent', 'n', { n: 1 })]);
  const { page, errors } = await openPage(browser);
  await page.goto(`${first.httpUrl}/ui#/ns/${encodeURIComponent(ns)}/agent/agent/timeline`);
  await page.waitForSelector(`#timeline li[data-commit-ts="${before.commitTs}"]`);

  await first.stop(); // the stream ends with the server's final event
  await waitForText(page, '#live', 'Connecting');
  const second = await serverOn(port);
  const during = await commit(second.httpUrl, ns, [write('agent', 'n', { n: 2 })]);
  await page.waitForSelector(`#timeline li[data-commit-ts="${during.commitTs}"]`);
  await waitForText(page, '#live', 'Live');
  const after = await commit(second.httpUrl, ns, [write('agent', 'n', { n: 3 })]);
  await page.waitForSelector(`#timeline li[data-commit-ts="${after.commitTs}"]`);

  const shown = await page.$$eval('#timeline > li', (items) =>
    items.map((li) => Number(li.getAttribute('data-commit-ts'))),
  );
  expect(shown).toEqual([after.commitTs, during.commitTs, before.commitTs]);
  // The only errors: the browser's log of the connections refused while no server listened.
  expect(
    errors.filter((error) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/.test(error)),
  ).toEqual([]);
});
