// Dev helper (until `wharf serve` wires it in): serve the web UI against a
// Docker API socket. Usage: tsx scripts/serve-ui.ts --socket /run/wharf.sock [--port 8080]
import { parseArgs } from 'node:util';
import { startWebUi } from '../app/web/server.js';

const { values } = parseArgs({
  options: { socket: { type: 'string' }, port: { type: 'string' }, token: { type: 'string' } },
});
if (!values.socket) {
  process.stderr.write('usage: serve-ui --socket <docker api socket> [--port N]\n');
  process.exit(2);
}
const ui = await startWebUi({
  dockerSocket: values.socket,
  host: '127.0.0.1',
  ...(values.port ? { port: Number(values.port) } : {}),
  ...(values.token ? { token: values.token } : {}),
});
process.stdout.write(`Wharf UI: ${ui.url}\n`);
const stop = (): void => void ui.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
