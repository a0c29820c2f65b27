// A second instance of the local gateway (local/gateway/gateway.mjs, the same code) whose only
// route is /hello -> the hello-world server on HELLO_PORT: the gateway's own cost on a trivial
// upstream. Prints its port on stdout, runs until killed.
import { createGateway } from '../local/gateway/gateway.mjs';

const port = Number(process.env.HELLO_PORT);
const server = createGateway({ routes: [{ prefix: '/hello', service: 'hello', port }] });
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
