import { randomBytes } from 'node:crypto';
import { AppError } from '../../domain/app-error.js';

/**
 * The hidden name a file is uploaded under before its rename: `.<fileName>.<tag>-<random>.part`, or
 * `.<fileName>.<random>.part` without a tag (channel tests). The tag (the delivery's id) lets a later
 * attempt of the same delivery recognise what an interrupted one left.
 */
export function temporaryName(fileName: string, tag?: string): string {
  return `.${fileName}.${tag ? `${tag}-` : ''}${randomBytes(4).toString('hex')}.part`;
}

/** Matches every name `temporaryName(fileName, tag)` gives: one delivery's, whatever the attempt. */
export function ownTemporaryNamePattern(fileName: string, tag: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escape(fileName)}\\.${escape(tag)}-[0-9a-f]{8}\\.part$`);
}

/**
 * Another file already has the final name and is not an earlier upload of this one: it is not replaced
 * (it may be the customer's, or their processing of an earlier copy); the customer removes or renames it,
 * or re-sends the publication.
 */
export function nameTaken(detail: string): AppError {
  return new AppError('DELIVERY_FAILED', detail, {
    reason: 'un autre fichier du même nom est déjà sur le serveur',
  });
}
