import { randomBytes } from 'node:crypto';
import type { Browser } from 'puppeteer-core';
import { startServerProcess, testEnv, type ServerProcess } from '../../support/server-process';
import { commit, launchBrowser, openPage, waitForText, write } from './browser';

// The web inspector on a server with tokens: nothing readable without one, a wrong one refused,
// a scoped one shows only its namespaces, and the token travels in a header, never in a URL.

const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const SCOPED = `scoped-${randomBytes(8).toString('hex')}`;
let server: ServerProcess;
let browser: Browser;
let mine: string;
let theirs: string;

/** The browser's refusals of a 401 (the answer the test asks for), and nothing else. */
const REFUSED = /Failed to load resource: the server responded with a status of 401/;

beforeAll(async () => {
  const run = randomBytes(4).toString('hex');
  mine = `ui-mine-${run}`;
  theirs = `ui-theirs-${run}`;
  server = await startServerProcess([], {
    ...testEnv(),
    STATEHOUSE_TOKENS: JSON.stringify({ [ADMIN]: ['*'], [SCOPED]: [mine] }),
  });
  browser = await launchBrowser();
  await commit(server.httpUrl, mine, [write('alpha', 'memo', { text: 'mine' })], ADMIN);
  await commit(server.httpUrl, theirs, [write('beta', 'memo', { text: 'theirs' })], ADMIN);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('reads nothing without a token, refuses a wrong one, and shows only the namespaces of a right one', async () => {
  const { page, errors, screenshot } = await openPage(browser);
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(`${server.httpUrl}/ui#/ns/${encodeURIComponent(mine)}/agent/alpha`);
  await waitForText(page, 'form.login', 'This server needs a token');
  expect(await page.content()).not.toContain('mine"'); // no value on the page
  expect((await fetch(`${server.httpUrl}/v1/namespaces`)).status).toBe(401);
  await screenshot('login');

  await page.type('input[name=token]', 'not-the-token-0123456789');
  await page.click('form.login button[type=submit]');
  await waitForText(page, 'form.login', 'The server refused the token: Invalid token');

  await page.$eval('input[name=token]', (input) => (input.value = ''));
  await page.type('input[name=token]', SCOPED);
  await Promise.all([page.waitForNavigation(), page.click('form.login button[type=submit]')]);
  const keys = await waitForText(page, '#keys', 'memo');
  expect(keys).toContain('"mine"');

  await page.goto(`${server.httpUrl}/ui#/`);
  const listed = await waitForText(page, '#namespaces', mine);
  expect(listed).not.toContain(theirs);
  await screenshot('namespaces-with-token');

  // Another namespace's agent by URL: refused by the server, said so on the page.
  await page.goto(`${server.httpUrl}/ui#/ns/${encodeURIComponent(theirs)}/agent/beta`);
  await waitForText(page, '.error', 'may not read that namespace');
  expect(await page.content()).not.toContain('"theirs"');

  // The live timeline reads the stream with the token in a header.
  await page.goto(`${server.httpUrl}/ui#/ns/${encodeURIComponent(mine)}/agent/alpha/timeline`);
  await waitForText(page, '#live', 'Live');
  const next = await commit(server.httpUrl, mine, [write('alpha', 'memo', { text: 'v2' })], ADMIN);
  await page.waitForSelector(`#timeline li[data-commit-ts="${next.commitTs}"]`);

  expect(urls.filter((url) => url.includes(SCOPED) || url.includes('token'))).toEqual([]);
  // The only errors: the browser's own log of the 401s and the 403 the test asked for.
  expect(errors.filter((error) => !REFUSED.test(error) && !/status of 403/.test(error))).toEqual(
    [],
  );
});
