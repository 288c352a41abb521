/**
 * Stop requests inside one process: every engine on this store hears every request. A listener
 * that throws does not keep the request from the others.
 */
import type { StopRequest, StopSignals } from '../types.js';

export class InProcessStopSignals implements StopSignals {
  private readonly listeners = new Set<(request: StopRequest) => void>();

  async publish(request: StopRequest): Promise<void> {
    for (const listener of [...this.listeners]) {
      try {
        listener(request);
      } catch {
        // A listener's failure is its own; the request still reaches the rest.
      }
    }
  }

  subscribe(listener: (request: StopRequest) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
