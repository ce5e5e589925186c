/**
 * `npm run bench -- --profile [--duration 20] [--scenarios S2]`: the logged-in page (S2, or the scenario named)
 * under load with the app in production mode (NODE_ENV=production, as bench/app.ts runs it) and
 * `node --cpu-prof`, then a ranked summary of where the app's CPU time went. MONGODB_URI as for
 * the benchmark (default here: mongo-java-server at 127.0.0.1:27118, whose fast answers leave the
 * app's own work visible). Writes bench/results/profile-<date>.{cpuprofile,md} (the .cpuprofile
 * opens in Chrome DevTools or speedscope) and prints the summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import * as prettier from 'prettier';
import { connectMongoose } from '../src/db';
import { benchConfig } from './benchConfig';
import { cannon, logInAll, metricsOf } from './measure';
import { AppProcess } from './processes';
import { scenarioLoad, SCENARIOS } from './scenarios';
import { seed } from './seed';
import { log, profileSeconds, settings } from './settings';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(__dirname, '..');

/** Markdown as the project's Prettier settings format it, so that `prettier --check` passes on results. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

/** Where a frame's code lives: a file of the app, a package, node itself, or V8's pseudo-frames. */
function placeOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) {
    if (frame.functionName.startsWith('(')) return frame.functionName;
    // Code without a file but with lines: compiled at run time (`new Function`), i.e. EJS templates.
    return frame.lineNumber >= 0 ? '(compiled templates)' : '(native)';
  }
  // The innermost package: mongoose's own copy of the driver counts as mongodb, not mongoose.
  const pkg = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop();
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  return path.relative(ROOT, url);
}

/** A function by place and name (tsx's output keeps names, not lines: an app file's line says nothing). */
const nameOf = (frame: CallFrame) => {
  const place = placeOf(frame);
  const line = frame.url && !place.startsWith('src/') && !place.startsWith('bench/') ? `:${frame.lineNumber + 1}` : '';
  return `${place}:${frame.functionName || '(anonymous)'}${line}`;
};

/** Self and total (inclusive, each function once per stack) time per function and per place, in ms. */
export function summarizeProfile(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfOf = new Map<number, number>();
  profile.samples.forEach((id, i) => selfOf.set(id, (selfOf.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  const placeSelf = new Map<string, number>();
  const placeTotal = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  let busy = 0;
  let all = 0;
  for (const [id, ms] of selfOf) {
    const node = byId.get(id)!;
    all += ms;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += ms;
    add(fnSelf, nameOf(node.callFrame), ms);
    add(placeSelf, placeOf(node.callFrame), ms);
    const seenFns = new Set<string>();
    const seenPlaces = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const fn = nameOf(frame);
      const place = placeOf(frame);
      if (!seenFns.has(fn)) add(fnTotal, fn, ms);
      if (!seenPlaces.has(place)) add(placeTotal, place, ms);
      seenFns.add(fn);
      seenPlaces.add(place);
    }
  }
  return { busy, all, fnSelf, fnTotal, placeSelf, placeTotal };
}

function table(title: string, rows: [string, number, number?][], busy: number, headers: string[]): string {
  const lines = [`### ${title}`, '', `| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const [name, a, b] of rows) {
    const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)} %`;
    lines.push(`| \`${name}\` | ${pct(a)} | ${b === undefined ? '' : pct(b)} |`);
  }
  return lines.join('\n');
}

export function profileReport(profile: CpuProfile, heading: string): string {
  const { busy, all, fnSelf, fnTotal, placeSelf, placeTotal } = summarizeProfile(profile);
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  const appTotals = top(fnTotal, 400).filter(([name]) => name.startsWith('src/') || name.startsWith('bench/'));
  return [
    heading,
    '',
    `CPU busy ${(busy / 1000).toFixed(1)} s of ${(all / 1000).toFixed(1)} s sampled (${((busy / all) * 100).toFixed(0)} %); percentages are of the busy time.`,
    '',
    table(
      'By package or file: self and total time',
      top(placeSelf, 25).map(([p, ms]) => [p, ms, placeTotal.get(p) ?? 0]),
      busy,
      ['where', 'self', 'total'],
    ),
    '',
    table(
      'Functions by self time',
      top(fnSelf, 40).map(([f, ms]) => [f, ms, fnTotal.get(f) ?? 0]),
      busy,
      ['function', 'self', 'total'],
    ),
    '',
    table(
      "The app's own functions (src/) by total time",
      appTotals.slice(0, 40).map(([f, ms]) => [f, fnSelf.get(f) ?? 0, ms]),
      busy,
      ['function', 'self', 'total'],
    ),
    '',
  ].join('\n');
}

export async function runProfile() {
  const seconds = profileSeconds;
  const scenario = settings.scenarioFlag ? (settings.scenarios[0] ?? 'S2') : 'S2';
  const base = new ConnectionString(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27118/');
  base.pathname = `/bench_profile_${Date.now().toString(36)}`;
  const uri = base.toString();
  const dir = path.join(__dirname, 'results');
  const stamp = new Date().toISOString().slice(0, 10);
  process.env.BENCH_LOG_FILE = path.join(dir, `profile-${stamp}.log`);
  const target = path.join(dir, `profile-${stamp}-${scenario}.cpuprofile`);
  await connectMongoose(uri, benchConfig());
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  let app: AppProcess | undefined;
  try {
    const users = await seed();
    app = await AppProcess.start('ours', uri);
    const logins = await logInAll(app.url, users.pages.slice(0, settings.connections));
    const load = scenarioLoad(scenario, { logins, credentials: users.logins.slice(0, settings.connections) });
    log(`profiling ${scenario} ${SCENARIOS[scenario]} for ${seconds} s on ${base.hosts.join(',')}`);
    // A warm-up first: the profile is of the steady state, not of the first requests' compilation.
    await cannon(app.url, load, Math.min(5, seconds), settings.connections);
    const appProcess = app;
    const run = metricsOf(
      await appProcess.profile(target, () => cannon(appProcess.url, load, seconds, settings.connections)),
      {},
    );
    log(`  ${run.rps.toFixed(0)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms`);
    await app.stop();
    app = undefined;
  } finally {
    await app?.stop();
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
  }
  const profile = JSON.parse(fs.readFileSync(target, 'utf8')) as CpuProfile;
  const report = profileReport(
    profile,
    `# CPU profile of ${scenario} ${SCENARIOS[scenario]}, ${stamp}\n\n${seconds} s, ${settings.connections} connections, NODE_ENV=production, ${base.hosts.join(',')}; ${path.basename(target)}.`,
  );
  await writeFormatted(target.replace(/\.cpuprofile$/, '.md'), report);
  process.stdout.write(report);
  process.exit(0);
}

/** `npm run bench -- --report <file>.cpuprofile`: the summary of a recorded profile again. */
export async function rewriteProfileReport(file: string): Promise<void> {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const md = file.replace(/\.cpuprofile$/, '.md');
  // The heading of the summary written with the profile (what was run, where), kept.
  const heading = fs.existsSync(md)
    ? fs.readFileSync(md, 'utf8').split('\n\nCPU busy')[0]!
    : `# CPU profile ${path.basename(file)}`;
  const report = profileReport(profile, heading);
  await writeFormatted(md, report);
  process.stdout.write(report);
}
