'use strict';
// bcryptjs in a worker thread, for the pool in passwords.ts. Plain JavaScript so that node (dist),
// tsx and ts-jest all load it as it is; `npm run build` copies it next to the compiled passwords.js.
// In a thread of its own the synchronous functions are the fastest: nothing else waits on them.
const bcrypt = require('bcryptjs');

/** @param {{ op: 'hash', password: string, cost: number } | { op: 'compare', password: string, hash: string }} task */
module.exports = function passwordTask(task) {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
};
