/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// A real browser for the web inspector's tests: Debian's chromium (installed by the suite when
// missing: scripts/lib/test-tools.mjs), driven by puppeteer-core. Every page's console errors and
// uncaught exceptions are collected, and screenshots go to test-artifacts/inspector/ (gitignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';

export const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-artifacts', 'inspector');

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  /** Writes test-artifacts/inspector/<name>.png. */
  screenshot(name: string): Promise<void>;
}

export async function openPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`exception: ${String(error)}`));
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    page,
    errors,
    screenshot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
  };
}

/** The text of the first element matching the selector, once it holds `expected`. */
export async function waitForText(page: Page, selector: string, expected: string): Promise<string> {
  // The text is read in the same check that finds it: a page re-rendering between a wait and a
  // second lookup could have removed the element meanwhile.
  const found = await page.waitForFunction(
    (sel, text) => {
      const content = document.querySelector(sel)?.textContent ?? '';
      return content.includes(text) ? content : false;
    },
    {},
    selector,
    expected,
  );
  return (await found.jsonValue()) as string;
}

/**
 * The texts of every element matching the selector, once they are `expected`: a page loading or
 * re-rendering shows other lists on the way (an empty table, the previous page). After
 * `timeoutMs` it returns what is there, and the caller's assertion shows the difference.
 */
export async function waitForTexts(
  page: Page,
  selector: string,
  expected: readonly string[],
  timeoutMs = 15_000,
): Promise<string[]> {
  await page
    .waitForFunction(
      (sel, want) =>
        JSON.stringify([...document.querySelectorAll(sel)].map((e) => e.textContent ?? '')) ===
        want,
      { timeout: timeoutMs },
      selector,
      JSON.stringify(expected),
    )
    .catch(() => undefined);
  return page.$$eval(selector, (elements) => elements.map((e) => e.textContent ?? ''));
}

/** Clicks the link whose text is exactly `text` (inside `within`), once it is there. */
export async function clickLink(page: Page, text: string, within = 'main'): Promise<void> {
  const handle = await page.waitForFunction(
    (sel, label) =>
      [...document.querySelectorAll(`${sel} a`)].find((link) => link.textContent === label),
    {},
    within,
    text,
  );
  const link = handle.asElement() as ElementHandle<Element> | null;
  if (!link) throw new Error(`no link "${text}"`);
  await link.click();
}

/** A commit over HTTP (POST /v1/commit) with a token or none; its commitTs and txId. */
export async function commit(
  base: string,
  namespace: string,
  operations: object[],
  token?: string,
): Promise<{ commitTs: number; txId: string }> {
  const response = await fetch(`${base}/v1/commit`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ namespace, operations }),
  });
  if (response.status !== 200) {
    throw new Error(`commit answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as { commitTs: number; txId: string };
}

export const write = (agentId: string, key: string, value: object) => ({
  op: 'write',
  agentId,
  key,
  value,
});
