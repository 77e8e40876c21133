// Builds the web inspector into dist/ (served by the server on /ui): one minified script, one
// stylesheet and the page, which names them with a hash of their content (cache-busting).
// No CDN: everything the page loads is in dist/. Run by `npm run build`.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

await build({
  entryPoints: [join(here, 'src/main.tsx')],
  outfile: join(dist, 'assets/app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/app.css'), join(dist, 'assets/app.css'));

const hash = (file) =>
  createHash('sha256')
    .update(readFileSync(join(dist, 'assets', file)))
    .digest('hex')
    .slice(0, 12);
const page = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('assets/app.js', `assets/app.js?v=${hash('app.js')}`)
  .replace('assets/app.css', `assets/app.css?v=${hash('app.css')}`);
writeFileSync(join(dist, 'index.html'), page);
