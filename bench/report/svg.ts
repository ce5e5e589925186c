import { SCENARIOS } from '../scenarios';
import type { StoreName } from '../stores';
import type { Results } from '../types';
import { CEILINGS, type CeilingName } from '../ceiling';
import { fmt } from './format';

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
  // S2 against its ceilings (bench/ceiling.ts): one row each, our store's S2 last, with its share.
  const ceilingRows = (Object.keys(CEILINGS) as CeilingName[]).flatMap((name) => {
    const s = r.ceilings?.[name];
    return s ? [{ label: `ceiling: ${name}`, rps: s.rps }] : [];
  });
  const ourS2 = r.stores.ours?.scenarios.S2;
  if (ceilingRows.length && ourS2) ceilingRows.push({ label: 'shop, logged-in /products (ours)', rps: ourS2.rps });
  const ceilingTop = top + chartHeight + 90;
  const ceilingHeight = ceilingRows.length ? ceilingRows.length * 24 + 40 : 0;
  const burstTop = ceilingTop + ceilingHeight + 60;
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
  if (ceilingRows.length && ourS2) {
    out.push(
      `<text x="${left}" y="${ceilingTop}" font-size="16" font-weight="bold">S2 against its ceilings: bare handlers doing only its database work (same run)</text>`,
    );
    const cmax = Math.max(1, ...ceilingRows.map((row) => row.rps));
    const barMax = width - left - 480;
    ceilingRows.forEach((row, i) => {
      const yy = ceilingTop + 14 + i * 24;
      const w = (row.rps / cmax) * barMax;
      const share = i < ceilingRows.length - 1 ? ` (shop = ${fmt(ourS2.rps / row.rps, 2)} of it)` : '';
      out.push(
        `<text x="${left + 230}" y="${yy + 15}" text-anchor="end">${esc(row.label)}</text>`,
        `<rect x="${left + 240}" y="${yy + 3}" width="${Math.max(1, w).toFixed(1)}" height="18" fill="${i < ceilingRows.length - 1 ? '#9db8a8' : COLORS.ours}"/>`,
        `<text x="${(left + 246 + w).toFixed(1)}" y="${yy + 15}">${esc(`${fmt(row.rps)} req/s${share}`)}</text>`,
      );
    });
  }
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
