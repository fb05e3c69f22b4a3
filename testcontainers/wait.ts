/**
 * Waits for a container's own Docker health check, and when it does not become healthy, fails with the
 * container's name, its last health-check output and the tail of its log – the things an operator would
 * look at – instead of a bare "unhealthy".
 */
import type Dockerode from 'dockerode';
import { Wait, type WaitStrategy } from 'testcontainers';
import type { BoundPorts } from 'testcontainers';

/** Docker multiplexes stdout/stderr with an 8-byte header per frame when there is no TTY. */
function demux(buf: Buffer): string {
  const out: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
    i += 8 + len;
  }
  return i === 0 ? buf.toString('utf8') : out.join('');
}

export class DiagnosingHealthCheck implements WaitStrategy {
  private inner = Wait.forHealthCheck();

  /**
   * @param problems when given, a container that does not become healthy is recorded here instead of
   *   failing the start-up, so the stack stays up and the checklist lines about health fail on their own.
   */
  constructor(private readonly problems?: string[]) {}

  async waitUntilReady(container: Dockerode.Container, boundPorts: BoundPorts, startTime?: Date): Promise<void> {
    try {
      await this.inner.waitUntilReady(container, boundPorts, startTime);
    } catch (err) {
      let detail = '';
      try {
        const info = await container.inspect();
        const name = info.Name.replace(/^\//, '');
        const service = info.Config.Labels?.['com.docker.compose.service'] ?? name;
        const checks = info.State.Health?.Log ?? [];
        const last = checks.at(-1);
        const logs = demux((await container.logs({ stdout: true, stderr: true, tail: 25 })) as unknown as Buffer);
        detail =
          `service "${service}" (container ${name}) did not become healthy: state ${info.State.Status}, health ${info.State.Health?.Status ?? 'none'}` +
          (last ? `; last health check exited ${last.ExitCode}: ${last.Output.trim().slice(0, 400)}` : '') +
          `\n--- last log lines of ${name} ---\n${logs.trim()}`;
      } catch {
        /* the container is already gone: keep the original error */
      }
      const message = detail ? `${(err as Error).message}: ${detail}` : (err as Error).message;
      if (this.problems) {
        this.problems.push(message);
        return;
      }
      throw new Error(message);
    }
  }

  withStartupTimeout(ms: number): this {
    this.inner = this.inner.withStartupTimeout(ms);
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.inner.isStartupTimeoutSet();
  }

  getStartupTimeout(): number {
    return this.inner.getStartupTimeout();
  }
}
