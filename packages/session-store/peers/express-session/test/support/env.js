// Vendored from github:expressjs/session at tag v1.19.0 (test/support/env.js), unmodified below this line; license: the LICENSE file beside test/.

process.env.NO_DEPRECATION = 'express-session';
