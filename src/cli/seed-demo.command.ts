import type { Command } from 'commander';
import { DEMO_ENTREPRISE, DEMO_LOGINS, seedDemo } from '../demo/seed-demo.js';
import { openContext } from './context.js';

export function registerSeedDemoCommand(program: Command): void {
  program
    .command('seed-demo')
    .description('create the demo entreprise, its SIRENs, meters and users (no-op when present)')
    .action(async () => {
      const { database, clock } = await openContext({ quiet: true });
      try {
        const seeded = await seedDemo(database.db, clock.now());
        process.stdout.write(
          seeded ? `seeded "${DEMO_ENTREPRISE}"\n` : `"${DEMO_ENTREPRISE}" already present, nothing done\n`,
        );
        for (const login of DEMO_LOGINS)
          process.stdout.write(`  ${login.email}  ${login.password}  (${login.role})\n`);
      } finally {
        await database.destroy();
      }
    });
}
