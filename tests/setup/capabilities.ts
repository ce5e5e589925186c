// Every test file starts out knowing what the test server can do (globalSetup detected it once),
// as a connected app would: code that is run without connecting mongoose first (a session store
// on its own) still finds the database module's answers.
import { rememberCapabilities, type ServerCapabilities } from '../../src/db/capabilities';

rememberCapabilities(JSON.parse(process.env.TEST_DB_CAPABILITIES ?? 'null') as ServerCapabilities);
