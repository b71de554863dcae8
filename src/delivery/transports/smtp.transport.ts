import { AppError } from '../../domain/app-error.js';
import type { Mailer } from '../../notification/mailer.js';
import type {
  ChannelTarget,
  DeliveryFile,
  DeliveryReceipt,
  DeliveryTransport,
} from './delivery-transport.js';

export const DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

function formatSize(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
}

/**
 * E-mail delivery through the Mailer (SMTP when `PUBLIWATT_SMTP_URL` is set, else the outbox folder):
 * the encrypted file attached up to `maxAttachmentBytes`, above it a French notice with the portal link.
 */
export class SmtpTransport implements DeliveryTransport {
  constructor(
    private readonly mailer: Mailer,
    private readonly options: { maxAttachmentBytes?: number } = {},
  ) {}

  async deliver(file: DeliveryFile, channel: ChannelTarget): Promise<DeliveryReceipt> {
    if (!channel.email)
      throw new AppError('CHANNEL_INVALID', 'e-mail channel without address', {
        reason: 'adresse manquante',
      });
    const attach = file.size <= (this.options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES);
    const decrypt =
      `Le fichier est chiffré (AES-256-CBC) avec la clé de chiffrement de votre entreprise, version ${file.keyVersion}, ` +
      'affichée sur la page « Vos canaux numériques ». Les 16 premiers octets du fichier sont le vecteur ' +
      "d'initialisation : `npx publiwatt decrypt --key <clé> <fichier> -o <fichier>.zip` ou " +
      '`openssl enc -d -aes-256-cbc -K <clé> -iv <16 premiers octets en hexadécimal>` sur le reste du fichier.';
    const text = attach
      ? `Bonjour,\n\nVeuillez trouver ci-joint la publication ${file.fileName} (${formatSize(file.size)}).\n\n${decrypt}\n\n` +
        `Elle reste disponible dans votre espace : ${file.archiveUrl}\n`
      : `Bonjour,\n\nLa publication ${file.fileName} (${formatSize(file.size)}) dépasse la taille maximale d'une pièce jointe. ` +
        `Vous pouvez la télécharger depuis votre espace : ${file.archiveUrl}\n`;
    try {
      await this.mailer.send({
        to: channel.email,
        subject: `Publiwatt — publication ${file.fileName}`,
        text,
        attachments: attach ? [{ filename: file.fileName, content: file.stream() }] : undefined,
      });
    } catch (error) {
      // The mail server's reply is for the log; the customer reads our own words.
      const raw = error instanceof Error ? error.message : String(error);
      throw new AppError(
        'DELIVERY_FAILED',
        `smtp: ${raw}`,
        { reason: 'le message n’a pas pu être remis au serveur de messagerie' },
        { cause: error },
      );
    }
    return { location: channel.email, size: file.size, attached: attach };
  }
}
