import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { problem } from './problem.filter';

/**
 * The web inspector's files, built with the project (`npm run build`: apps/inspector/dist); null
 * when the package is not installed (then /ui answers 503, and the API works on).
 */
const INSPECTOR_DIR = inspectorDir();

function inspectorDir(): string | null {
  try {
    return join(dirname(require.resolve('@statehouse/inspector/package.json')), 'dist');
  } catch {
    return null;
  }
}
/** What /ui serves: the page, and under /ui/assets/ its script and stylesheet (nothing else). */
const ASSETS = new Set(['app.js', 'app.css']);

/**
 * The page allows only its own script, stylesheet and requests to this server: a value holding
 * HTML is rendered as text anyway (Preact escapes it), and this is the second wall if something
 * ever slipped. No framing (clickjacking).
 */
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Middleware for /ui: the inspector's page and its two assets. The page's own routes live in the
 * URL's fragment (#/ns/...), which browsers never send, so no namespace or key name reaches a log.
 * The page holds no data, so it is public; every request it makes for data carries the token it
 * asked for.
 */
export function inspectorFiles(request: Request, response: Response, next: NextFunction): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') return next();
  // The page links its assets relative to /ui: /ui/ goes there.
  if (request.path === '/' && request.originalUrl.split('?')[0]!.endsWith('/')) {
    return response.redirect(301, '../ui');
  }
  const asset = /^\/assets\/([\w.-]+)$/.exec(request.path)?.[1];
  if (request.path !== '/' && (asset === undefined || !ASSETS.has(asset))) return next();
  const file = asset === undefined ? 'index.html' : `assets/${asset}`;
  if (INSPECTOR_DIR === null || !existsSync(join(INSPECTOR_DIR, file))) {
    response
      .status(503)
      .type('application/problem+json')
      .send(
        JSON.stringify(problem(503, 'UNAVAILABLE', 'The inspector is not built: npm run build')),
      );
    return;
  }
  response.setHeader('content-security-policy', POLICY);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'no-referrer');
  response.sendFile(file, {
    root: INSPECTOR_DIR,
    // The page names its assets with a hash of their content: they may be cached for long.
    maxAge: asset === undefined ? 0 : '1d',
  });
}
