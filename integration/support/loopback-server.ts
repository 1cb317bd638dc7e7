/** Test servers of our own (stand-ins for a silent or slow endpoint) on 127.0.0.1 and a free port. */
import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** A listening server's URL, and how to close it with its open connections. */
export interface LoopbackServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts `server` listening on 127.0.0.1 at a free port. */
export async function listenOnLoopback(server: Server | Http2Server): Promise<LoopbackServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
