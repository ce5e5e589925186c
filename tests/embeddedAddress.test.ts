import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runningEmbeddedDatabase } from '../src/db';

/** How `npm run seed` and `npm run admin` find the database of the `npm start` running beside them. */
describe('the address of a running embedded database', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-embedded-address-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const write = (pid: number, uri?: string) => {
    fs.writeFileSync(path.join(dataDir, 'embedded-database.pid'), String(pid));
    if (uri) fs.writeFileSync(path.join(dataDir, 'embedded-database.uri'), uri);
  };

  it('is the one its running shop wrote', () => {
    write(process.pid, 'mongodb://127.0.0.1:40123/shop');
    expect(runningEmbeddedDatabase(dataDir)).toBe('mongodb://127.0.0.1:40123/shop');
  });

  it('is none when no shop runs there, or its shop has not started the database yet', () => {
    expect(runningEmbeddedDatabase(dataDir)).toBeUndefined();
    // A pid no process has (the kernel's limit is lower): a shop that was killed.
    write(2 ** 30, 'mongodb://127.0.0.1:40123/shop');
    expect(runningEmbeddedDatabase(dataDir)).toBeUndefined();
    fs.rmSync(path.join(dataDir, 'embedded-database.uri'));
    write(process.pid);
    expect(runningEmbeddedDatabase(dataDir)).toBeUndefined();
  });
});
