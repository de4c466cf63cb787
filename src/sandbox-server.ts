/**
 * How every sandbox and simulator listens (the invoicing APIs', WooCommerce's, Odoo's, Shopify's Admin
 * API): on the port and host asked for (port 0: a free one), with the URL it is reachable at and a
 * close that stops accepting, cuts open keep-alive connections and resolves once the server is closed.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListeningSandbox {
  server: Server;
  /** `http://host:port`, with an IPv6 host in brackets. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listenSandbox(listener: RequestListener, port = 0, host = '127.0.0.1'): Promise<ListeningSandbox> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
