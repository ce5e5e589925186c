// Builds dist/: CommonJS (and its types) by tsc into dist/cjs, then an ES module entry in dist/esm
// that re-exports it. One implementation for both module systems: an app that loads the store
// through `import` and a library that loads it through `require` share one class (instanceof and
// the store's symbols agree), which two compiled copies would not.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

fs.rmSync(dist, { recursive: true, force: true });
const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// The names the CommonJS entry exports, as Node's ESM loader sees them, so that `import { X }` works.
const cjs = require(path.join(dist, 'cjs', 'index.js'));
const names = Object.keys(cjs).filter((name) => name !== 'default' && name !== '__esModule');
fs.mkdirSync(path.join(dist, 'esm'), { recursive: true });
fs.writeFileSync(
  path.join(dist, 'esm', 'index.mjs'),
  `// The CommonJS build, re-exported (see scripts/build.mjs).\nexport { ${names.join(', ')} } from '../cjs/index.js';\n`,
);
fs.writeFileSync(path.join(dist, 'esm', 'index.d.mts'), `export * from '../cjs/index.js';\n`);
