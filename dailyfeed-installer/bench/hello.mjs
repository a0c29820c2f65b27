// The hello-world baseline: a bare node:http server answering a small JSON body, as cheap as a
// Node server gets on this machine. Prints its port on stdout, runs until killed.
import http from 'node:http';

const body = JSON.stringify({ status: 200, result: 'SUCCESS', data: { hello: 'world' } });
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
