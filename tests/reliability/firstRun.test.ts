import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedDatabase } from '../../src/db';
import { createLogger } from '../../src/lib/logger';
import { freePort } from '../../src/lib/freePort';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';

const database = useTestDatabase();
const STACK_LINE = /\n\s+at /;

it('says in one sentence that the port is taken, and exits without starting anything', async () => {
  const port = await freePort();
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
  try {
    const server = await ShopProcess.start({ databaseUri: database(), env: { PORT: String(port) }, until: 'nothing' });
    expect(await server.exitWithin(20_000)).toEqual({ code: 1, signal: null });
    expect(server.log()).toContain(`Port ${port} on 127.0.0.1 is in use`);
    expect(server.log()).toContain('set PORT=');
    expect(server.log()).not.toMatch(STACK_LINE);
  } finally {
    taken.close();
  }
}, 30_000);

it('refuses to start a second embedded database on the same files', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-embedded-'));
  const otherProcess = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(path.join(dataDir, 'embedded-database.pid'), String(otherProcess.pid));
    await expect(startEmbeddedDatabase(dataDir, createLogger('silent'))).rejects.toThrow(
      `in use by another process (pid ${otherProcess.pid})`,
    );
  } finally {
    otherProcess.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
