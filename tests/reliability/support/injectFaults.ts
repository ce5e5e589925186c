/**
 * Preloaded into the real server process (`node --import`, before src/server.ts) by
 * lastResort.test.ts. On a message from the test it raises, inside the running server, a promise
 * rejection that nobody handles ("reject") or an exception that nobody catches ("throw"): what
 * the server's last-resort handlers are for. The server itself has no hook for this.
 */
process.on('message', (message) => {
  if (message === 'reject') void Promise.reject(new Error('injected rejection that nobody handles'));
  if (message === 'throw') {
    setImmediate(() => {
      throw new Error('injected exception that nobody catches');
    });
  }
});
