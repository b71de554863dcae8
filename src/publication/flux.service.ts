import { sirensInScope } from '../auth/tenant-scope.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { DeliveryRepository, type DeliveryRow } from '../db/delivery.repository.js';
import { PublicationRepository, type PublicationRecord } from '../db/publication.repository.js';
import type { UserRecord } from '../db/user.repository.js';
import { AppError } from '../domain/app-error.js';
import {
  searchFlux,
  type FluxSearchInput,
  type FluxSearchResult,
  type FluxSearchScope,
} from './archive/flux-search.js';

/** A page of "Recherche de flux" with the deliveries of each publication listed. */
export interface FluxSearchPage extends FluxSearchResult {
  /** Every listed publication's deliveries, by id (an empty list when it has none). */
  deliveries: Map<number, DeliveryRow[]>;
}

/**
 * "Recherche de flux" for the API and the portal: the archive rows a user sees (the entreprise's, of
 * SIRENs within the user's perimeter), their deliveries and PRMs. The deliveries of a listed page come
 * from one query, whatever its number of rows.
 */
export class FluxService {
  constructor(
    private readonly handle: Pick<DatabaseHandle, 'db' | 'engine'>,
    private readonly clock: Clock,
  ) {}

  /** What a user searches within: the entreprise, and its SIRENs narrowed by the user's perimeter. */
  async scopeOf(user: UserRecord): Promise<FluxSearchScope & { sirens: string[] }> {
    return { entrepriseId: user.entrepriseId, sirens: await sirensInScope(this.handle.db, user) };
  }

  /** A page of the archive within `scope`, with each publication's deliveries. */
  async search(scope: FluxSearchScope, input: FluxSearchInput): Promise<FluxSearchPage> {
    const result = await searchFlux(this.handle.db, this.clock, scope, input);
    return { ...result, deliveries: await this.deliveriesOf(result.items.map((p) => p.id)) };
  }

  /**
   * A publication the user may see: of the user's entreprise and of a SIREN within the perimeter.
   * Anything else, another entreprise's included, is NOT_FOUND.
   */
  async findVisible(user: UserRecord, id: number): Promise<PublicationRecord> {
    const scope = await this.scopeOf(user);
    const publication = await new PublicationRepository(this.handle.db).findVisible(
      id,
      scope.entrepriseId,
      scope.sirens,
    );
    if (!publication) throw new AppError('NOT_FOUND', `publication ${id} is not visible to user ${user.id}`);
    return publication;
  }

  /**
   * A publication by id, unscoped: for a caller that holds the id from its own checked action (the
   * rebuild it just ran), never for an id taken from a request.
   */
  async get(id: number): Promise<PublicationRecord> {
    const publication = await new PublicationRepository(this.handle.db).find(id);
    // The caller's own action produced the id: its absence is a fault, not a foreign id.
    if (!publication) throw new AppError('INTERNAL', `publication ${id} not found`);
    return publication;
  }

  /** The PRMs (and contracts) a publication's file covers, by PRM. */
  prmsOf(publicationId: number): Promise<Array<{ prm: string; contractNumber: string }>> {
    return new PublicationRepository(this.handle.db).prmsOf(publicationId);
  }

  /** The deliveries of each publication (by id), in one query. */
  deliveriesOf(publicationIds: readonly number[]): Promise<Map<number, DeliveryRow[]>> {
    return new DeliveryRepository(this.handle.db).listForPublications(publicationIds);
  }

  /** One delivery of the entreprise (undefined for another entreprise's). */
  deliveryInEntreprise(entrepriseId: number, id: number): Promise<DeliveryRow | undefined> {
    return new DeliveryRepository(this.handle.db).findInEntreprise(entrepriseId, id);
  }
}
