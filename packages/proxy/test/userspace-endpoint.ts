// A Service endpoint for the userspace live test, run inside a pod's network namespace:
//   node --import tsx userspace-endpoint.ts <name> <ip> <port>
// HTTP on ip:port answers "<name> <peer address>" (the peer shows whose address the endpoint sees);
// UDP on ip:port answers each datagram with "<name> <datagram>". Prints "ready" once both listen.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';

const [name, ip, portText] = process.argv.slice(2);
if (!name || !ip || !portText) throw new Error('usage: userspace-endpoint.ts <name> <ip> <port>');
const port = Number(portText);

const http = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${name} ${req.socket.remoteAddress}\n`);
});
const udp = createSocket('udp4');
udp.on('message', (msg, from) => udp.send(`${name} ${msg.toString()}`, from.port, from.address));

await Promise.all([
  new Promise<void>((resolve, reject) => http.once('error', reject).listen(port, ip, () => resolve())),
  new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, ip, () => resolve()); }),
]);
process.stdout.write('ready\n');
