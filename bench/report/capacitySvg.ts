import { CAPACITY_SCENARIOS } from '../experiments/capacity';
import { SCENARIOS } from '../scenarios';
import type { Results } from '../types';
import { fmt } from './format';

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const LEVEL_COLORS = ['#9db8a8', '#2f6f4f'];

/** The capacity experiment: each scenario's throughput with few and with many sessions, bar for bar. */
export function capacityChart(r: Results): string {
  const levels = r.capacity ?? [];
  const width = 960;
  const left = 60;
  const rowHeight = 26;
  const top = 80;
  const height = top + CAPACITY_SCENARIOS.length * (levels.length * rowHeight + 24) + 20;
  const barMax = width - left - 520;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">Requests per second with few and with many sessions stored (median of ${r.settings.runs} runs, higher is better)</text>`,
    `<text x="${left}" y="44" fill="#555">${esc(`${r.env.date.slice(0, 10)} · ${r.env.nproc} cores, ${r.env.memoryGb} GB · Node ${r.env.node} · ${r.env.database} · ${r.settings.connections} connections`)}</text>`,
  ];
  let y = top;
  for (const scenario of CAPACITY_SCENARIOS) {
    const max = Math.max(1e-9, ...levels.map((l) => l.scenarios[scenario]?.rps ?? 0));
    out.push(`<text x="${left}" y="${y}" font-weight="bold">${esc(`${scenario} ${SCENARIOS[scenario]}`)}</text>`);
    y += 8;
    levels.forEach((level, i) => {
      const s = level.scenarios[scenario];
      const w = ((s?.rps ?? 0) / max) * barMax;
      const answered = s?.runs.some((run) => run.responses > 0);
      const label = answered ? `${fmt(s?.rps ?? NaN, 1)} req/s, p50 ${s?.p50} ms` : 'none answered within a run';
      out.push(
        `<text x="${left + 230}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${level.sessions} sessions</text>`,
        `<rect x="${left + 240}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowHeight - 6}" fill="${LEVEL_COLORS[i % 2]}"/>`,
        `<text x="${(left + 246 + w).toFixed(1)}" y="${y + rowHeight / 2 + 4}">${label}</text>`,
      );
      y += rowHeight;
    });
    y += 16;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
