'use strict';
// bcryptjs in a worker thread, for the pool in passwords.ts. Plain JavaScript so that node (dist),
// tsx and ts-jest all load it as it is; `npm run build` copies it next to the compiled passwords.js.
// In a thread of its own the synchronous functions are the fastest: nothing else waits on them.
// `secret` is what bcrypt reads: a password's pre-hash, or the password itself for a hash stored in
// the older format (passwords.ts says which).
const bcrypt = require('bcryptjs');

/** @param {{ op: 'hash', secret: string, cost: number } | { op: 'compare', secret: string, hash: string }} task */
module.exports = function passwordTask(task) {
  return task.op === 'hash' ? bcrypt.hashSync(task.secret, task.cost) : bcrypt.compareSync(task.secret, task.hash);
};
