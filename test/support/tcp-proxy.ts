import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP pass-through on loopback that a test can take down and bring back on the same port: to
 * the service behind it, exactly what a database restart looks like (connections cut, new ones
 * refused, then accepted again).
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens (again) on the same port; a no-op while it is up. */
  async start(): Promise<number> {
    if (this.server) return this.port;
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(this.port, '127.0.0.1', listening);
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this.port;
  }

  /** Refuses new connections and cuts every open one. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((closed) => (server ? server.close(() => closed()) : closed()));
  }
}
