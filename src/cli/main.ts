import { Command, CommanderError } from 'commander';
import { registerBenchCommand } from './bench.command.js';
import { toAppError } from '../domain/app-error.js';
import { registerCreateOperatorCommand } from './create-operator.command.js';
import { registerDecryptCommand } from './decrypt.command.js';
import { registerDeliverCommand } from './deliver.command.js';
import { registerPublishCommand } from './publish.command.js';
import { registerPurgeCommand } from './purge.command.js';
import { registerRotateMasterKeyCommand } from './rotate-master-key.command.js';
import { registerWorkerCommand } from './worker.command.js';
import { registerGenerateCommand } from './generate.command.js';
import { registerImportRegistryCommand } from './import-registry.command.js';
import { registerImportCommand } from './import.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerSeedDemoCommand } from './seed-demo.command.js';
import { registerServeCommand } from './serve.command.js';

export function buildProgram(): Command {
  const program = new Command('publiwatt')
    .description('Recurring publications of energy-meter data to business customers')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerSeedDemoCommand(program);
  registerImportRegistryCommand(program);
  registerCreateOperatorCommand(program);
  registerDecryptCommand(program);
  registerWorkerCommand(program);
  registerPublishCommand(program);
  registerDeliverCommand(program);
  registerPurgeCommand(program);
  registerRotateMasterKeyCommand(program);
  registerGenerateCommand(program);
  registerImportCommand(program);
  registerBenchCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the CLI and returns the exit code. Every failure prints one clear line on stderr (the
 * registry import adds its rejected lines below it); stack traces only with --verbose.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help); only the exit code is ours.
      return error.exitCode === 0 ? 0 : 2;
    }
    const appError = toAppError(error);
    const verbose = argv.includes('--verbose');
    process.stderr.write(
      `publiwatt: ${appError.code === 'INTERNAL' ? 'error' : appError.code}: ${appError.detail}\n`,
    );
    if (verbose) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return 1;
  }
}
