import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../src/lib/freePort';

const ROOT = path.resolve(__dirname, '..');

/** `npm run load` (after its build) with only the given environment; resolves with how it ended. */
function runLoad(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const args = ['--import', tsx, path.join(ROOT, 'scripts', 'load.ts'), '--duration', '1', '--users', '1'];
    execFile(
      process.execPath,
      args,
      { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('npm run load without a database', () => {
  it('says in one sentence that MONGODB_URI is not set', async () => {
    const { code, stdout, stderr } = await runLoad({});
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'MONGODB_URI is not set: start a database (e.g. `export MONGODB_URI=$(scripts/test-db.sh start)`).\n',
    });
  });

  it('says in one sentence that nothing answers at MONGODB_URI', async () => {
    const uri = `mongodb://127.0.0.1:${await freePort()}/`;
    const { code, stdout, stderr } = await runLoad({ MONGODB_URI: uri });
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: `No database answers at ${uri} (MONGODB_URI): start one, e.g. \`scripts/test-db.sh start\`.\n`,
    });
  });
});
