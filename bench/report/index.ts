/** The benchmark's reports: <name>.json (every number), <name>.md (tables, targets), <name>.svg (chart). */
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import type { Results } from '../types';
import { markdown } from './markdown';
import { capacityChart } from './capacitySvg';
import { svgChart } from './svg';
import { evaluateTargets } from './targets';

export { evaluateTargets, type Target } from './targets';

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
  // A run of the capacity experiment alone has no store comparison to chart.
  const storesRan = Object.keys(results.stores).length > 0 || !results.capacity?.length;
  fs.writeFileSync(files.svg, storesRan ? svgChart(results) : capacityChart(results));
  fs.writeFileSync(files.md, await formatted(markdown(results, `${name}.svg`), files.md));
  return Object.values(files);
}
