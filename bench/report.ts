import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { SCENARIOS, type ScenarioId } from './scenarios';
import { STORE_LABELS, type StoreName } from './stores';
import type { Results } from './types';

export interface Target {
  target: string;
  measured: string;
  holds: boolean;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const per = (n: number) => fmt(n, 2);

/** The issue's targets, each judged on this run's numbers (ratios from the same run). */
export function evaluateTargets(r: Results): Target[] {
  const targets: Target[] = [];
  for (const [store, result] of Object.entries(r.stores) as [StoreName, NonNullable<Results['stores'][StoreName]>][]) {
    const s1 = result.probes.S1;
    targets.push({
      target: `S1 (${store}): no session read or write, no Set-Cookie`,
      measured: `${per(s1.perRequest.sessionReads)} reads, ${per(s1.perRequest.sessionWrites)} writes, ${s1.setCookies}/${s1.requests} Set-Cookie`,
      holds: s1.perRequest.sessionReads === 0 && s1.perRequest.sessionWrites === 0 && s1.setCookies === 0,
    });
    if (store !== 'memory') {
      const s2 = result.probes.S2;
      targets.push({
        target: `S2 (${store}): 1 session read + 1 user read, 0 writes (between touches)`,
        measured: `${per(s2.perRequest.sessionReads)} session reads, ${per(s2.perRequest.userReads)} user reads, ${per(s2.perRequest.writes)} writes, logged in ${s2.loggedIn}/${s2.requests}`,
        holds:
          s2.perRequest.sessionReads === 1 &&
          s2.perRequest.userReads === 1 &&
          s2.perRequest.writes === 0 &&
          s2.loggedIn === s2.requests,
      });
    }
  }
  const s2 = (store: StoreName) => r.stores[store]?.scenarios.S2;
  const ours = s2('ours');
  if (ours) {
    const interval = r.settings.touchIntervalSeconds;
    const allowed = r.settings.connections * (Math.floor(r.settings.durationSeconds / interval) + 1);
    const worst = Math.max(...ours.runs.map((run) => run.counts['write:sessions'] ?? 0));
    targets.push({
      target: `S2 (ours) under load: session writes only from the lazy touch (≤ ${allowed} per ${r.settings.durationSeconds} s run)`,
      measured: `at most ${worst} session writes in a run`,
      holds: worst <= allowed,
    });
  }
  for (const [other, min] of [
    ['connect-mongo', 0.9],
    ['memory', 0.5],
  ] as const) {
    const theirs = s2(other);
    if (ours && theirs) {
      const ratio = ours.rps / theirs.rps;
      targets.push({ target: `S2 ours ≥ ${min}× ${other}`, measured: `${fmt(ratio, 2)}×`, holds: ratio >= min });
    }
  }
  const after = r.burst.find((b) => b.passwordThreads !== 0);
  const before = r.burst.find((b) => b.passwordThreads === 0);
  for (const b of [before, after]) {
    if (!b) continue;
    const label = b === after ? 'after (worker pool)' : 'before (main thread, for comparison)';
    targets.push({
      target: `During ${r.settings.burstLogins} concurrent logins, ${label}: S2 ≥ 0.3× idle throughput`,
      measured: `${fmt(b.throughputRatio, 2)}×`,
      holds: b.throughputRatio >= 0.3,
    });
    targets.push({
      target: `During ${r.settings.burstLogins} concurrent logins, ${label}: S2 p99 < 10× idle p99`,
      measured: `${fmt(b.p99Ratio, 1)}× (${b.burst.p99} ms vs ${b.idle.p99} ms)`,
      holds: b.p99Ratio < 10,
    });
  }
  const memOurs = r.memory.find((m) => m.store === 'ours');
  if (memOurs) {
    const growth = Math.max(memOurs.heapAfterCreateMb, memOurs.heapAfterServeMb) - memOurs.heapBeforeMb;
    targets.push({
      target: `Heap growth with ${memOurs.sessions} sessions (ours) < 10 MB`,
      measured: `${fmt(growth, 1)} MB`,
      holds: growth < 10,
    });
  }
  return targets;
}

function scenarioTable(r: Results): string {
  const rows = [
    '| Scenario | Store | req/s | p50 ms | p99 ms | ok (2xx+3xx) | failed | DB reads/req | DB writes/req | session r/w per req | user reads/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const scenario of r.settings.scenarios) {
    for (const store of r.settings.stores) {
      const s = r.stores[store]?.scenarios[scenario];
      if (!s) continue;
      const p = s.perRequest;
      rows.push(
        `| ${scenario} ${SCENARIOS[scenario]} | ${store} | ${fmt(s.rps)} | ${s.p50} | ${s.p99} | ${s.ok} | ${s.failed} | ${per(p.reads)} | ${per(p.writes)} | ${per(p.sessionReads)} / ${per(p.sessionWrites)} | ${per(p.userReads)} |`,
      );
    }
  }
  return rows.join('\n');
}

function probeTable(r: Results): string {
  const rows = [
    `| Probe (${r.settings.probeRequests} sequential requests) | Store | session reads/req | session writes/req | user reads/req | other reads/req | other writes/req | Set-Cookie | logged in |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const store of r.settings.stores) {
    const probes = r.stores[store]?.probes;
    if (!probes) continue;
    for (const [name, probe] of Object.entries(probes)) {
      const p = probe.perRequest;
      rows.push(
        `| ${name} ${SCENARIOS[name as ScenarioId]} | ${store} | ${per(p.sessionReads)} | ${per(p.sessionWrites)} | ${per(p.userReads)} | ${per(p.otherReads)} | ${per(p.otherWrites)} | ${probe.setCookies}/${probe.requests} | ${name === 'S2' ? `${probe.loggedIn}/${probe.requests}` : '–'} |`,
      );
    }
  }
  return rows.join('\n');
}

export function markdown(r: Results, svgName: string): string {
  const e = r.env;
  const s = r.settings;
  const targets = evaluateTargets(r);
  const parts = [
    `# Session benchmark, ${e.date.slice(0, 10)}${s.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${e.nproc} cores (${e.cpu}), ${e.memoryGb} GB, ${e.platform}; load average ${e.loadAverageAtStart.join(' ')} at the start, ${e.loadAverageAtEnd.join(' ')} at the end (the machine is shared with other work: expect noise). Node ${e.node}. Database: ${e.database}. Commit ${e.commit}.`,
    '',
    `Method: the app (createApp, NODE_ENV=production, bcrypt cost ${s.bcryptCost}) runs in a child process per store; autocannon drives it over loopback from the parent process with ${s.connections} connections, pipelining ${s.pipelining}, a ${s.warmupSeconds} s warm-up, then ${s.runs} runs of ${s.durationSeconds} s; medians of the runs. Database commands are counted with the driver's command monitoring on every client the app uses (mongoose's and the store's own). ${s.seconds} s in all.`,
    '',
    `![Requests per second by scenario and store](${svgName})`,
    '',
    '## Scenarios',
    '',
    scenarioTable(r),
    '',
    'Stores: ' + s.stores.map((store) => `**${store}**: ${STORE_LABELS[store]}`).join('; ') + '.',
    '',
    '## Exact cost of one request',
    '',
    probeTable(r),
    '',
  ];
  if (r.burst.length) {
    parts.push(
      '## Logins that do not freeze the shop',
      '',
      `Logged-in GET /products (S2, ${s.connections} connections), idle and while ${s.burstLogins} connections log in over and over (bcrypt cost ${s.bcryptCost}).`,
      '',
      '| Variant | idle req/s | idle p99 ms | during logins req/s | during logins p99 ms | throughput ratio | p99 ratio | logins/s | login p99 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...r.burst.map(
        (b) =>
          `| ${b.name} | ${fmt(b.idle.rps)} | ${b.idle.p99} | ${fmt(b.burst.rps)} | ${b.burst.p99} | ${fmt(b.throughputRatio, 2)}× | ${fmt(b.p99Ratio, 1)}× | ${fmt(b.burst.loginsPerSecond, 1)} | ${b.burst.loginP99} |`,
      ),
      '',
    );
  }
  if (r.memory.length) {
    parts.push(
      '## Memory',
      '',
      '| Store | sessions | heap before MB | after creating them | after serving 200 of them | growth MB | logged-in answers |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...r.memory.map(
        (m) =>
          `| ${m.store} | ${m.sessions} | ${fmt(m.heapBeforeMb, 1)} | ${fmt(m.heapAfterCreateMb, 1)} | ${fmt(m.heapAfterServeMb, 1)} | ${fmt(Math.max(m.heapAfterCreateMb, m.heapAfterServeMb) - m.heapBeforeMb, 1)} | ${m.served}/200 |`,
      ),
      '',
    );
  }
  if (r.cluster.length) {
    parts.push(
      '## Worker processes (`WEB_CONCURRENCY`, `node dist/server.js`, our store)',
      '',
      '| workers | S2 req/s | p50 ms | p99 ms | ok | failed |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...r.cluster.map((c) => `| ${c.workers} | ${fmt(c.rps)} | ${c.p50} | ${c.p99} | ${c.ok} | ${c.failed} |`),
      '',
    );
  }
  parts.push(
    '## Targets',
    '',
    '| Target | Measured | Holds |',
    '| --- | --- | --- |',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.holds ? 'yes' : '**no**'} |`),
    '',
  );
  return parts.join('\n');
}

const COLORS: Record<StoreName, string> = { ours: '#2f6f4f', 'connect-mongo': '#c98a2b', memory: '#7a8793' };
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Grouped bars: requests per second for each scenario and store, and the login burst. */
export function svgChart(r: Results): string {
  const width = 960;
  const top = 70;
  const chartHeight = 260;
  const left = 60;
  const scenarios = r.settings.scenarios.filter((sc) => r.settings.stores.some((st) => r.stores[st]?.scenarios[sc]));
  const stores = r.settings.stores.filter((st) => r.stores[st]);
  const values = scenarios.flatMap((sc) => stores.map((st) => r.stores[st]?.scenarios[sc]?.rps ?? 0));
  const max = Math.max(1, ...values);
  const groupWidth = (width - left - 20) / Math.max(1, scenarios.length);
  const barWidth = (groupWidth - 24) / Math.max(1, stores.length);
  const y = (v: number) => top + chartHeight - (v / max) * chartHeight;
  const out: string[] = [];
  const burstTop = top + chartHeight + 110;
  const burstHeight = r.burst.length ? 170 : 0;
  const height = burstTop + burstHeight + (r.burst.length ? 60 : 0);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">Requests per second by scenario and session store (median of ${r.settings.runs} runs, higher is better)</text>`,
    `<text x="${left}" y="44" fill="#555">${esc(`${r.env.date.slice(0, 10)} · ${r.env.nproc} cores, ${r.env.memoryGb} GB · Node ${r.env.node} · ${r.env.database} · ${r.settings.connections} connections`)}</text>`,
  );
  stores.forEach((store, i) => {
    const x = left + i * 230;
    out.push(
      `<rect x="${x}" y="52" width="12" height="12" fill="${COLORS[store]}"/>`,
      `<text x="${x + 16}" y="62">${esc(store)}</text>`,
    );
  });
  for (let t = 0; t <= 4; t += 1) {
    const v = (max * t) / 4;
    out.push(
      `<line x1="${left}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)}</text>`,
    );
  }
  scenarios.forEach((scenario, g) => {
    const gx = left + g * groupWidth + 12;
    stores.forEach((store, i) => {
      const v = r.stores[store]?.scenarios[scenario]?.rps ?? 0;
      const x = gx + i * barWidth;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${(top + chartHeight - y(v)).toFixed(1)}" fill="${COLORS[store]}"><title>${esc(`${scenario} ${store}: ${fmt(v)} req/s`)}</title></rect>`,
        `<text x="${(x + (barWidth - 4) / 2).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(v)}</text>`,
      );
    });
    out.push(
      `<text x="${(gx + (groupWidth - 24) / 2).toFixed(1)}" y="${top + chartHeight + 18}" text-anchor="middle" font-weight="bold">${scenario}</text>`,
      `<text x="${(gx + (groupWidth - 24) / 2).toFixed(1)}" y="${top + chartHeight + 34}" text-anchor="middle" fill="#555" font-size="10">${esc(SCENARIOS[scenario])}</text>`,
    );
  });
  if (r.burst.length) {
    out.push(
      `<text x="${left}" y="${burstTop - 30}" font-size="16" font-weight="bold">Logged-in GET /products while ${r.settings.burstLogins} connections log in (our store)</text>`,
    );
    const bmax = Math.max(1, ...r.burst.flatMap((b) => [b.idle.rps, b.burst.rps]));
    const rowHeight = burstHeight / (r.burst.length * 2);
    // Room on the right for the label after the longest bar.
    const barMax = width - left - 480;
    r.burst.forEach((b, i) => {
      [
        ['idle', b.idle.rps, b.idle.p99, '#9db8a8'],
        ['during logins', b.burst.rps, b.burst.p99, '#2f6f4f'],
      ].forEach(([label, rps, p99, color], j) => {
        const yy = burstTop + (i * 2 + j) * rowHeight;
        const w = ((rps as number) / bmax) * barMax;
        out.push(
          `<text x="${left + 230}" y="${yy + rowHeight / 2 + 4}" text-anchor="end">${esc(j === 0 ? b.name : '')} ${esc(label as string)}</text>`,
          `<rect x="${left + 240}" y="${yy + 3}" width="${Math.max(1, w).toFixed(1)}" height="${(rowHeight - 6).toFixed(1)}" fill="${color as string}"/>`,
          `<text x="${(left + 246 + w).toFixed(1)}" y="${yy + rowHeight / 2 + 4}">${fmt(rps as number)} req/s, p99 ${p99 as number} ms</text>`,
        );
      });
    });
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Formatted as the project's Prettier settings say, so that `prettier --check` passes on results. */
async function formatted(text: string, file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

/** Writes <name>.json, <name>.md and <name>.svg into `dir`; returns their paths. */
export async function writeReports(dir: string, name: string, results: Results): Promise<string[]> {
  const files = {
    json: path.join(dir, `${name}.json`),
    md: path.join(dir, `${name}.md`),
    svg: path.join(dir, `${name}.svg`),
  };
  const json = JSON.stringify({ ...results, targets: evaluateTargets(results) }, null, 2);
  fs.writeFileSync(files.json, await formatted(json, files.json));
  fs.writeFileSync(files.svg, svgChart(results));
  fs.writeFileSync(files.md, await formatted(markdown(results, `${name}.svg`), files.md));
  return Object.values(files);
}
