// Child process for the interrupted-pull test: pulls argv[3] into the data
// root argv[2] and prints each progress event as one JSON line.
import { RegistryClient } from './client.js';
import { pull } from './pull.js';
import { openStores } from './testing.js';

const [dataRoot, ref] = process.argv.slice(2);
if (!dataRoot || !ref) {
  console.error('usage: testing-pull-child.ts DATA_ROOT REF');
  process.exit(2);
}
const stores = await openStores(dataRoot);
const client = new RegistryClient();
await pull({ client, ...stores }, ref, { onProgress: (e) => process.stdout.write(JSON.stringify(e) + '\n') });
await client.close();
console.log(JSON.stringify({ status: 'done' }));
