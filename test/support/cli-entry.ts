// Runs the CLI from source, so CLI tests exercise the code under test rather than dist/.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
