/** `npm run bench` without a database says so in one sentence, not with a driver stack. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/lib/freePort';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

it('prints one sentence and exits 1 when no database answers', async () => {
  const port = await freePort();
  const failure = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
    cwd: ROOT,
    env: { ...process.env, MONGODB_URI: `mongodb://127.0.0.1:${port}/` },
    timeout: 25_000,
  }).then(
    () => undefined,
    (err: { code?: number; stdout: string; stderr: string }) => err,
  );

  expect(failure?.code).toBe(1);
  expect(failure?.stdout).toBe('');
  const lines = failure!.stderr.trim().split('\n');
  expect(lines).toEqual([expect.stringMatching(`^bench: no database answered at 127.0.0.1:${port} within`)]);
  expect(lines[0]).toContain('MONGODB_URI');
});
