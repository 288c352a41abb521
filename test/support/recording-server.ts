/**
 * A loopback HTTP server that records the path and Authorization header of every request it gets:
 * the "somewhere else" a forged or redirected attachment URL points at, to prove what reached it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
}

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  /** `http://127.0.0.1:<port>` once listening. */
  origin = '';
  private readonly server: Server;

  constructor(
    route: (req: IncomingMessage, res: ServerResponse) => void = (_, res) => res.writeHead(404).end(),
  ) {
    this.server = createServer((req, res) => {
      this.requests.push({ path: req.url ?? '/', authorization: req.headers.authorization });
      route(req, res);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${this.port}`;
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
