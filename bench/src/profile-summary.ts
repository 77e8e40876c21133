// Summarizes a V8 .cpuprofile (`node --cpu-prof`): the functions with the most self time and the
// most inclusive time (each function counted once per sample, however often it recurs in the
// stack), and optionally the folded stacks (`frame;frame;frame count`, the input of flame-graph
// tools) and a flame graph SVG.
//   node bench/dist/profile-summary.js <file.cpuprofile> [--top 30] [--skip-ms 3000]
//     [--folded out.txt] [--svg out.svg]
// --skip-ms leaves out the first milliseconds of the profile (the server's start).
import { readFileSync, writeFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Where a frame's code lives: a package, apps/<app>, libs/<lib>, node, or V8's own (GC...). */
function packageOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : 'node (native)';
  if (url.startsWith('node:')) return 'node';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  const ours = /\/((?:apps|libs)\/[^/]+)\//.exec(url);
  return ours ? ours[1]! : url;
}

/** `name (package/file:line)`: the path shortened to what follows the last node_modules/ or src/. */
function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const path = url.replace(/^file:\/\//, '');
  const short = path.includes('node_modules/')
    ? path.slice(path.lastIndexOf('node_modules/') + 13)
    : path.replace(/^.*\/(apps|libs)\//, '$1/');
  return `${name} (${short}:${lineNumber + 1})`;
}

function main(): void {
  process.stdout.on('error', () => process.exit(0)); // piped into head
  const [file, ...rest] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [--top N] [--folded out]');
  const option = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const top = Number(option('--top') ?? 30);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const folded = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const skipUs = Number(option('--skip-ms') ?? 0) * 1000;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    if (elapsedUs < skipUs) return;
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id)!;
    const leafName = frameName(leaf);
    if (leafName === '(idle)') {
      idle += us;
      return;
    }
    total += us;
    self.set(leafName, (self.get(leafName) ?? 0) + us);
    const where = packageOf(leaf);
    byPackage.set(where, (byPackage.get(where) ?? 0) + us);
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!);
      if (name !== '(root)') stack.push(name);
    }
    for (const name of new Set(stack)) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    const key = stack.reverse().join(';');
    folded.set(key, (folded.get(key) ?? 0) + us);
  });
  const table = (title: string, values: Map<string, number>, what = 'function'): void => {
    process.stdout.write(
      `\n${title} (of ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle)\n`,
    );
    process.stdout.write(`| % | ms | ${what} |\n| ---: | ---: | --- |\n`);
    for (const [name, us] of [...values].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(
        `| ${((us / total) * 100).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${name.replace(/\|/g, '\\|')}\` |\n`,
      );
    }
  };
  table('Self time by package', byPackage, 'package');
  table('Self time', self);
  table('Inclusive time', inclusive);
  const foldedOut = option('--folded');
  if (foldedOut) {
    writeFileSync(
      foldedOut,
      [...folded].map(([stack, us]) => `${stack.replace(/ /g, '_')} ${us}`).join('\n') + '\n',
    );
  }
  const svgOut = option('--svg');
  if (svgOut) writeFileSync(svgOut, flameGraph(folded, total));
}

interface Frame {
  readonly name: string;
  us: number;
  readonly children: Map<string, Frame>;
}

/** A flame graph: the root at the bottom, each frame as wide as its inclusive time. */
function flameGraph(folded: Map<string, number>, total: number): string {
  const root: Frame = { name: 'all', us: 0, children: new Map() };
  for (const [stack, us] of folded) {
    let frame = root;
    frame.us += us;
    for (const name of stack.split(';')) {
      let child = frame.children.get(name);
      if (!child) frame.children.set(name, (child = { name, us: 0, children: new Map() }));
      child.us += us;
      frame = child;
    }
  }
  const width = 1600;
  const row = 16;
  const rects: string[] = [];
  let depth = 0;
  const escape = (text: string): string =>
    text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const walk = (frame: Frame, x: number, level: number): void => {
    const w = (frame.us / total) * width;
    if (w < 0.5) return;
    depth = Math.max(depth, level);
    rects.push(
      `<g><title>${escape(frame.name)} ${((frame.us / total) * 100).toFixed(1)}%</title>` +
        `<rect x="${x.toFixed(1)}" y="{Y${level}}" width="${w.toFixed(1)}" height="${row - 1}" ` +
        `fill="hsl(${(frame.name.length * 37) % 60}, 80%, ${55 + (level % 3) * 5}%)"/>` +
        (w > 40
          ? `<text x="${(x + 2).toFixed(1)}" y="{T${level}}" font-size="11" font-family="monospace">` +
            `${escape(frame.name.slice(0, Math.floor(w / 7)))}</text>`
          : '') +
        '</g>',
    );
    let at = x;
    for (const child of [...frame.children.values()].sort((a, b) => b.us - a.us)) {
      walk(child, at, level + 1);
      at += (child.us / total) * width;
    }
  };
  walk(root, 0, 0);
  const height = (depth + 1) * row;
  const body = rects
    .join('\n')
    .replace(/\{Y(\d+)\}/g, (_, l: string) => String(height - (Number(l) + 1) * row))
    .replace(/\{T(\d+)\}/g, (_, l: string) => String(height - Number(l) * row - 4));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">\n${body}\n</svg>\n`
  );
}

main();
