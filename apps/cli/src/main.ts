// statehousectl: `npx statehousectl --help` (after `npm run build`). See the README's statehousectl section.
import { run } from './program';

// `statehousectl replay a | head` closes stdout early: that ends the command, it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `statehousectl: unexpected failure: ${String((error as Error)?.stack ?? error)}\n`,
    );
    process.exitCode = 1;
  },
);
