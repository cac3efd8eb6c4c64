// Opens a listening TCP socket inside the network namespace this process was started in and hands
// it to the parent over IPC; the parent then serves on it from its own namespace. Plain JS so it
// starts in milliseconds (no TypeScript loader).
import { createServer } from 'node:net';

const [host, port] = process.argv.slice(2);
const server = createServer();
server.listen({ host, port: Number(port), exclusive: true }, () => {
  process.send('listening', server, () => process.exit(0));
});
server.on('error', (e) => { process.send({ error: e.message }); process.exit(1); });
