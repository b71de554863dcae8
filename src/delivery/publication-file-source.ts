import type { Readable } from 'node:stream';

/** A publication's zip as stored in the archive, in clear (the archive decrypts its at-rest layer). */
export interface PublicationFile {
  /** The archive's file name, used as is on servers and as the attachment name. */
  fileName: string;
  /** Size in bytes of the zip (before customer encryption). */
  size: number;
  /** A fresh stream of the zip; may be called once per attempt. */
  stream(): Readable;
}

/** Where the dispatcher reads what it sends; the archive implements it. */
export interface PublicationFileSource {
  open(publicationId: number): Promise<PublicationFile>;
}
