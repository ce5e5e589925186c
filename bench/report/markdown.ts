import { CAPACITY_SCENARIOS } from '../experiments/capacity';
import { SCENARIOS, type ScenarioId } from '../scenarios';
import { STORE_LABELS } from '../stores';
import type { Results, ScenarioSummary } from '../types';
import { CEILINGS, type CeilingName } from '../ceiling';
import { fmt, per } from './format';
import { evaluateTargets } from './targets';

/** S2's rate as a share of each ceiling's, "0.42 / 0.61", or '–' without them. */
export function ofCeilings(r: Results, rps: number): string {
  const ceilings = (Object.keys(CEILINGS) as CeilingName[]).map((name) => r.ceilings?.[name]?.rps);
  if (ceilings.every((c) => c === undefined)) return '–';
  return ceilings.map((c) => (c ? `${fmt(rps / c, 2)}` : '–')).join(' / ');
}

function scenarioTable(r: Results): string {
  const rows = [
    '| Scenario | Store | req/s | p50 ms | p99 ms | of ceilings (session+user / page queries) | ok (2xx+3xx) | failed | DB reads/req | DB writes/req | session r/w per req | user reads/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const scenario of r.settings.scenarios) {
    const line = (name: string, label: string, s: ScenarioSummary, share: string) => {
      const p = s.perRequest;
      // A login is two requests (the form, its post): its rate and latency are the post's, counted once per login.
      const rate = scenario === 'S4' ? `${fmt(s.rps, 1)} logins/s` : fmt(s.rps);
      rows.push(
        `| ${name} | ${label} | ${rate} | ${s.p50} | ${s.p99} | ${share} | ${s.ok} | ${s.failed} | ${per(p.reads)} | ${per(p.writes)} | ${per(p.sessionReads)} / ${per(p.sessionWrites)} | ${per(p.userReads)} |`,
      );
    };
    for (const store of r.settings.stores) {
      const s = r.stores[store]?.scenarios[scenario];
      if (s) line(`${scenario} ${SCENARIOS[scenario]}`, store, s, scenario === 'S2' ? ofCeilings(r, s.rps) : '');
    }
    if (scenario !== 'S2') continue;
    for (const name of Object.keys(CEILINGS) as CeilingName[]) {
      const s = r.ceilings?.[name];
      if (s) line('', `ceiling: ${name}`, s, '1');
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

/** The capacity experiment: each scenario at each level of stored sessions, against the first level. */
function capacityTable(r: Results): string {
  const levels = r.capacity ?? [];
  const rows = [
    '| Scenario | sessions stored | req/s | p50 ms | p99 ms | slowdown vs first (req/s) | p50 vs first | session r/w per req | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const scenario of CAPACITY_SCENARIOS) {
    const first = levels[0]?.scenarios[scenario];
    levels.forEach((level, i) => {
      const s = level.scenarios[scenario];
      if (!s || !first) return;
      const p = s.perRequest;
      const name = i === 0 ? `${scenario} ${SCENARIOS[scenario]}` : '';
      const versus = (text: string) => (i === 0 ? '–' : text);
      // Every request took longer than a run: the run ended with none answered.
      // (For a login, its POST: the form's GET is answered long before.)
      const answered = s.runs.some((run) => (run.units ?? run.responses) > 0);
      const timing = answered
        ? `${fmt(s.rps, 1)} | ${s.p50} | ${s.p99} | ${versus(`${fmt(first.rps / s.rps, 2)}×`)} | ${versus(`${fmt(s.p50 / Math.max(1, first.p50), 2)}×`)}`
        : `0 | none answered within a run | – | ${versus('∞')} | –`;
      rows.push(
        `| ${name} | ${level.sessions} | ${timing} | ${per(p.sessionReads)} / ${per(p.sessionWrites)} | ${s.failed} |`,
      );
    });
  }
  return rows.join('\n');
}

export function markdown(r: Results, svgName: string): string {
  const e = r.env;
  const s = r.settings;
  const targets = evaluateTargets(r);
  const storesRan = Object.keys(r.stores).length > 0;
  const parts = [
    `# Session benchmark, ${e.date.slice(0, 10)}${s.quick ? ' (quick)' : ''}${e.label ? `: ${e.label}` : ''}`,
    '',
    `Machine: ${e.nproc} cores (${e.cpu}), ${e.memoryGb} GB, ${e.platform}; load average ${e.loadAverageAtStart.join(' ')} at the start, ${e.loadAverageAtEnd.join(' ')} at the end (the machine is shared with other work: expect noise). Node ${e.node}. Database: ${e.database}. Commit ${e.commit}.`,
    '',
    `Method: the app (createApp, NODE_ENV=production, bcrypt cost ${s.bcryptCost}) runs in a child process per store; autocannon drives it over loopback from the parent process with ${s.connections} connections, pipelining ${s.pipelining}, a ${s.warmupSeconds} s warm-up, then ${s.runs} runs of ${s.durationSeconds} s; medians of the runs. Database commands are counted with the driver's command monitoring on every client the app uses (mongoose's and the store's own). ${s.seconds} s in all.`,
    '',
    storesRan || !r.capacity?.length
      ? `![Requests per second by scenario and store](${svgName})`
      : `![Requests per second with few and with many sessions stored](${svgName})`,
    '',
  ];
  if (storesRan) {
    parts.push(
      '## Scenarios',
      '',
      scenarioTable(r),
      '',
      'Stores: ' + s.stores.map((store) => `**${store}**: ${STORE_LABELS[store]}`).join('; ') + '.',
      '',
      'Every response was checked against what its scenario expects (200 for a page, the logged-in page naming its user; 302 to `/cart` for a cart post; 200 for GET /login and 302 to `/` for its POST): a run with any other answer stops the benchmark. S4 is a login as a browser makes it, GET /login and then the form posted with its CSRF token and cookie; its rate is logins per second (302 to `/`), its latency the POST’s.',
      '',
      `**Ceilings** (bench/ceiling.ts, our store, S2's connections and sessions, in the same rounds): ${(Object.keys(CEILINGS) as CeilingName[]).map((name) => `**${name}**: ${CEILINGS[name]}`).join('; ')}. "of ceilings" is S2's rate divided by each ceiling's: the share of the database-bound maximum left after the shop's own work (middleware, templates, logging).`,
      '',
      '## Exact cost of one request',
      '',
      probeTable(r),
      '',
    );
  }
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
  if (r.capacity?.length) {
    parts.push(
      '## Stored sessions (our store)',
      '',
      `Logged-in page, cart post and login with few and with many sessions in the collection (the extra ones inserted in bulk), each level in a database and an app process of its own, their runs alternating: ${s.runs} runs of ${s.otherDurationSeconds} s per level and scenario, ${s.connections} connections, medians; the next run starts once the requests a run abandoned are done. The users of this experiment have bcrypt cost 4, so that a login's own work shows. Each level is compared with the first: how many times lower its throughput (slowdown) and how many times longer its median response.`,
      '',
      capacityTable(r),
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
