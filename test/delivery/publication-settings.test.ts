import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { ChannelRepository } from '../../src/db/channel.repository.js';
import { PublicationSettingsService } from '../../src/delivery/publication-settings.service.js';
import type { AppError } from '../../src/domain/app-error.js';
import { frenchMessage } from '../../src/web/error-messages.js';
import { describeEachEngine } from '../support/databases.js';
import { actorFor, deliveryStack, seedDeliveryEntreprise } from '../support/delivery-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';

const REQUESTED = new Date('2026-03-27T10:00:00.000Z');
const EFFECTIVE = new Date(REQUESTED.getTime() + 72 * 3600_000);

describeEachEngine('publication settings', (ctx) => {
  const clock = new FakeClock(REQUESTED);
  let entrepriseId: number;
  let otherId: number;
  let active: number;
  let inactive: number;
  let foreign: number;
  before(async () => {
    entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Réglages SA', REQUESTED);
    otherId = await seedDeliveryEntreprise(ctx.handle.db, 'Voisin SA', REQUESTED);
    const stack = deliveryStack(ctx.handle, clock);
    const a = await stack.channels.createEmailChannel(actorFor(entrepriseId), {
      label: 'a',
      email: 'a@reglages.example',
    });
    await stack.channels.confirmEmail(stack.mailer.confirmationToken('a@reglages.example'));
    active = a.id;
    inactive = (
      await stack.channels.createEmailChannel(actorFor(entrepriseId), {
        label: 'b',
        email: 'b@reglages.example',
      })
    ).id;
    foreign = (
      await stack.channels.createEmailChannel(actorFor(otherId), { label: 'c', email: 'c@voisin.example' })
    ).id;
    await new ChannelRepository(ctx.handle.db).update(foreign, { status: 'ACTIF' });
  });
  const subscription = () => ({ id: 42, entrepriseId, effectiveAt: EFFECTIVE.toISOString() });

  it('refuses to associate channels before the subscription is effective (72 h), and accepts at 72 h', async () => {
    const service = new PublicationSettingsService(ctx.handle.db, clock);
    clock.set(new Date(EFFECTIVE.getTime() - 1));
    await assert.rejects(
      service.setChannels(actorFor(entrepriseId), subscription(), [active]),
      (error: AppError) => {
        assert.equal(error.code, 'SUBSCRIPTION_NOT_YET_EFFECTIVE');
        assert.match(
          frenchMessage(error),
          /en cours de prise en compte : il sera effectif le 30\/03\/2026 à 12h00/,
        );
        return true;
      },
    );
    clock.set(EFFECTIVE);
    assert.deepEqual(await service.setChannels(actorFor(entrepriseId), subscription(), [active, active]), [
      active,
    ]);
    assert.deepEqual(await service.channelsOf(actorFor(entrepriseId), subscription()), [active]);
    const [audit] = await new AuditRepository(ctx.handle.db).listForEntreprise(entrepriseId, {
      action: 'subscription.channels',
    });
    assert.deepEqual(audit!.after, { channelIds: [active] });
  });

  it('accepts only active channels of the same entreprise, all or nothing', async () => {
    const service = new PublicationSettingsService(ctx.handle.db, clock);
    clock.set(EFFECTIVE);
    await assert.rejects(service.setChannels(actorFor(entrepriseId), subscription(), [inactive]), {
      code: 'CHANNEL_INVALID',
    });
    await assert.rejects(service.setChannels(actorFor(entrepriseId), subscription(), [foreign]), {
      code: 'NOT_FOUND',
    });
    await assert.rejects(service.setChannels(actorFor(otherId), subscription(), [foreign]), {
      code: 'NOT_FOUND',
    });
    await assert.rejects(service.setChannels(actorFor(entrepriseId, ['CONSULTATION']), subscription(), []), {
      code: 'FORBIDDEN_HABILITATION',
    });
    assert.deepEqual(await service.channelsOf(actorFor(entrepriseId), subscription()), [active], 'unchanged');
    assert.deepEqual(await service.setChannels(actorFor(entrepriseId), subscription(), []), []);
  });
});
