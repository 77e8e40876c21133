import { FLAGS } from './flags';
import { USAGE } from './usage';

describe('--help', () => {
  const lines = USAGE.split('\n');

  it('lists every flag with a description, its variables and its default', () => {
    for (const [flag, spec] of Object.entries(FLAGS)) {
      const at = lines.findIndex(
        (line) => line.startsWith(`  --${flag} `) || line === `  --${flag}`,
      );
      expect({ flag, found: at >= 0 }).toEqual({ flag, found: true });
      expect(lines[at]).toContain(spec.description);
      expect(lines[at + 1]).toContain(`env: ${spec.variable.join(', ')}`);
      expect(lines[at + 1]).toContain(`default: ${spec.default}`);
    }
    expect(USAGE).toContain('--version');
    expect(USAGE).toContain('STATEHOUSE_ADDR');
  });

  it('keeps flags and their text apart, in one aligned column', () => {
    // The old help ran them together: `--replication-timeout-ms <value>STATEHOUSE_REPLICATION_TIMEOUT_MS`.
    expect(USAGE).not.toMatch(/\S(STATEHOUSE_|env:|default:)/);
    const columns = new Set(
      lines
        .filter((line) => /^ {2}--/.test(line))
        .map((line) => /^ {2}--[a-z-]+(?: <[^>]+>)?(?:, -h)? +/.exec(line)![0].length),
    );
    expect(columns.size).toBe(1);
  });
});
