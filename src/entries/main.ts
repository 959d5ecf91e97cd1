import { unreadablePayload } from '../context.js';
import { reportEarlyFailure } from '../early-failure.js';

// The run's modules are loaded only once the payload is known to be readable (one of them parses it at import).
const bad = unreadablePayload();
if (bad) await reportEarlyFailure(bad);
else await (await import('../run.js')).run();
