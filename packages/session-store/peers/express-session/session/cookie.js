// express-session's Cookie, which its suite loads as require('../session/cookie') (see ../index.js).
module.exports = require('express-session/session/cookie');
