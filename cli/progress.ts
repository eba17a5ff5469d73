/**
 * Progress on the terminal: a redrawn bar on a TTY, plain lines (about one per second)
 * otherwise, so logs and CI output stay readable.
 */
import type { MergeProgress } from '../workers/protocol.ts';

const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
const time = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export function progressPrinter(stream: NodeJS.WriteStream): {
  update: (p: MergeProgress) => void;
  done: () => void;
} {
  const tty = stream.isTTY === true;
  let lastLine = 0;
  let drawn = false;
  return {
    update(p) {
      if (p.phase !== 'merging') return;
      const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesWritten / p.bytesTotal) : 0;
      const stats = `${p.tensorsDone}/${p.tensorsTotal} tensors  ${mb(p.bytesWritten)}/${mb(p.bytesTotal)}  ${p.writeMBps.toFixed(1)} MB/s${
        p.etaMs !== undefined ? `  ETA ${time(p.etaMs)}` : ''
      }`;
      if (tty) {
        const width = 28;
        const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
        stream.write(`\r${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${stats}\x1b[K`);
        drawn = true;
      } else if (Date.now() - lastLine >= 1000) {
        lastLine = Date.now();
        stream.write(`progress: ${(frac * 100).toFixed(0)}%  ${stats}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
