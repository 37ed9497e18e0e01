/**
 * The FranceConnect simulator on its own, for trying a production-mode start
 * on one machine (CI starts the built service with NODE_ENV=production
 * against it). Never a FranceConnect for real users: fictional identities only.
 *   node dist/src/fc-simulator/fc-simulator.cli.js --port 3100 --client-id ID --client-secret SECRET --public-url URL
 * `--public-url` is Procuration's base URL (its callback and post-logout URIs
 * are registered). Prints the issuer, then runs until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { simulatorClientFrom, startFcSimulator } from './fc-simulator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'public-url': { type: 'string' },
  },
});
const clientId = values['client-id'];
const clientSecret = values['client-secret'];
const publicUrl = values['public-url'];
if (!clientId || !clientSecret || !publicUrl || !/^\d+$/.test(values.port)) {
  process.stderr.write('usage: fc-simulator.cli --port <n> --client-id <id> --client-secret <secret> --public-url <url>\n');
  process.exit(2);
}
const client = simulatorClientFrom({ publicUrl: publicUrl.replace(/\/+$/, ''), franceConnect: { clientId, clientSecret } });
const simulator = await startFcSimulator({ port: Number(values.port), nodeEnv: 'development', clients: [client] });
process.stdout.write(`${simulator.issuer}\n`);
const stop = () => void simulator.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
