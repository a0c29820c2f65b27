/** Real local HTTP servers for the client tests (no HTTP mocks). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  /** Requests received, in order. */
  hits: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, hitNo: number) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<TestServer> {
  const hits: TestServer['hits'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      Promise.resolve(handler(req, res, body, hits.length)).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

export const ok = (res: ServerResponse, data: unknown, status = 200) => sendJson(res, status, { status, result: 'SUCCESS', data });

export const fail = (res: ServerResponse, status: number, code: string, message = code.toLowerCase()) =>
  sendJson(res, status, { status, result: 'FAIL', code, message, path: '/', requestId: 'test' });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A URL nothing listens on. */
export async function deadUrl(): Promise<string> {
  const server = await startServer(() => undefined);
  const url = server.url;
  await server.close();
  return url;
}

/** An unsigned JWT-shaped token (member-svc in these tests decides validity by lookup). */
export function token(payload: Record<string, unknown>, signature = 'sig'): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'EdDSA', typ: 'JWT' })}.${b64(payload)}.${Buffer.from(signature).toString('base64url')}`;
}
