// A minimal Streamable HTTP MCP server on 127.0.0.1 for tests that shape one answer by hand:
// the body is read and parsed, a GET (or any non-POST) gets 405, a notification 202, and every
// request is handed to `answer` to write the response.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface JsonRpcHttp {
  url: string;
  close(): void;
}

export async function serveJsonRpc(answer: (msg: any, req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<JsonRpcHttp> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const msg = JSON.parse(body);
      if (msg.id === undefined) return void res.writeHead(202).end();
      void answer(msg, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
