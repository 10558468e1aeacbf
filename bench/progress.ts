/** One progress bar per dataset phase (cli-progress); prints periodic lines when not on a terminal (CI). */
import cliProgress from 'cli-progress';

export interface Phase {
  tick(n?: number): void;
  done(): void;
}

export function phase(label: string, total: number): Phase {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(22)} {bar} {percentage}% | {value}/{total} | {duration_formatted} (eta {eta_formatted})`,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0);
  let value = 0;
  let shown = 0;
  return {
    tick(n = 1) {
      value += n;
      // Redrawing costs; update at most every 0.5% of the total.
      if (value - shown >= total / 200 || value >= total) {
        bar.update(Math.min(value, total));
        shown = value;
      }
    },
    done() {
      bar.update(Math.max(total, 1));
      bar.stop();
    },
  };
}
