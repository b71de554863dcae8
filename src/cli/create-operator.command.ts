import type { Command } from 'commander';
import { hashPassword } from '../auth/password.js';
import { issueSecret } from '../auth/secret-token.js';
import { normalizeEmailAddress } from '../domain/email-address.js';
import { ApiTokenRepository } from '../db/api-token.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { OperatorRepository } from '../db/operator.repository.js';
import { checkPasswordStrength, MIN_PASSWORD_LENGTH } from '../auth/password-policy.js';
import { openContext } from './context.js';

/** Prefix of operator tokens (customer tokens start with `pw_`). */
export const OPERATOR_TOKEN_PREFIX = 'pwop_';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerCreateOperatorCommand(program: Command): void {
  program
    .command('create-operator')
    .description(
      'create an operator account of the distributor and print an API token for it (shown once); ' +
        'for an existing operator, print a new token',
    )
    .argument('<email>', 'e-mail address of the operator')
    .option('--token-name <name>', 'label of the token', 'create-operator')
    .option(
      '--password-stdin',
      `also set a password read from stdin (at least ${MIN_PASSWORD_LENGTH} characters, hard to guess, ` +
        'not built from the e-mail address)',
    )
    .action(async (emailInput: string, options: { tokenName: string; passwordStdin?: boolean }) => {
      const email = normalizeEmailAddress(emailInput);
      let passwordHash: string | null = null;
      if (options.passwordStdin) {
        const password = await readStdin();
        checkPasswordStrength(password, { email });
        passwordHash = await hashPassword(password);
      }
      const { database, clock } = await openContext({ quiet: true });
      try {
        const now = clock.now();
        const secret = issueSecret(OPERATOR_TOKEN_PREFIX);
        const created = await database.db.transaction().execute(async (trx) => {
          const operators = new OperatorRepository(trx);
          const existing = await operators.findByEmail(email);
          const id = existing?.id ?? (await operators.insert(email, passwordHash, now));
          if (existing && passwordHash !== null) await operators.setPasswordHash(id, passwordHash);
          await new ApiTokenRepository(trx).insert(
            { operatorId: id },
            { name: options.tokenName, hash: secret.hash, prefix: secret.prefix },
            now,
          );
          await new AuditRepository(trx).append(
            {
              actor: { type: 'operator', id: null, label: 'create-operator' },
              entrepriseId: null,
              action: existing ? 'operator.token_created' : 'operator.created',
              target: `operator:${id}`,
              after: { email, tokenPrefix: secret.prefix, password: passwordHash !== null },
            },
            now,
          );
          return existing === undefined;
        });
        process.stdout.write(
          `${created ? 'operator created' : 'operator exists, new token'}: ${email}\n` +
            `API token (shown once, keep it secret): ${secret.token}\n`,
        );
      } finally {
        await database.destroy();
      }
    });
}
