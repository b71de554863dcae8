import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { before, it } from 'node:test';
import { DeliveryRepository, type DeliveryRow } from '../../src/db/delivery.repository.js';
import type { DeliveryFile, DeliveryTransport } from '../../src/delivery/transports/delivery-transport.js';
import { StopController } from '../../src/stop-signal.js';
import { describeEachEngine } from '../support/databases.js';
import { deliveryStack, seedDeliveryEntreprise, type DeliveryStack } from '../support/delivery-fixtures.js';
import { FakeClock } from '../support/fake-clock.js';
import { seedEmailChannel } from '../support/publication-fixtures.js';
import { zipFixture } from '../support/zip-fixture.js';

const START = new Date('2026-06-01T08:00:00.000Z');
/** Every wait of these tests ends by then. */
const WAIT_MS = 10_000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Sends instantly and remembers what it sent. */
class RecordingTransport implements DeliveryTransport {
  readonly sent: string[] = [];
  async deliver(file: DeliveryFile) {
    await buffer(file.stream());
    this.sent.push(file.fileName);
    return { location: file.fileName, size: file.size };
  }
}

/**
 * Its first send waits: `reading` opens the file stream and waits for the test (or for an error of the
 * stream), `connecting` never settles (a server that does not answer). Later sends go through.
 */
class HeldTransport implements DeliveryTransport {
  readonly started = deferred();
  readonly release = deferred();
  readonly sent: string[] = [];
  streamError: Error | undefined;
  private calls = 0;

  constructor(private readonly mode: 'reading' | 'connecting') {}

  async deliver(file: DeliveryFile) {
    if (this.calls++ === 0) {
      this.started.resolve();
      if (this.mode === 'connecting') return new Promise<never>(() => undefined);
      const stream = file.stream();
      await new Promise<void>((resolve, reject) => {
        stream.once('error', (error) => {
          this.streamError = error;
          reject(error);
        });
        void this.release.promise.then(resolve);
      });
    }
    this.sent.push(file.fileName);
    return { location: file.fileName, size: file.size };
  }
}

describeEachEngine('a dispatcher asked to stop', (ctx) => {
  const clock = new FakeClock(START);
  let stack: DeliveryStack;
  let entrepriseId: number;
  let channels: number[];
  let nextPublication = 1;
  before(async () => {
    stack = deliveryStack(ctx.handle, clock);
    entrepriseId = await seedDeliveryEntreprise(ctx.handle.db, 'Arrêt SA', START);
    channels = [];
    for (let i = 1; i <= 5; i++) {
      channels.push(
        await seedEmailChannel(ctx.handle.db, entrepriseId, `flux${i}@client.example`, `Flux ${i}`),
      );
    }
  });

  /** One publication to send on `count` channels: its delivery rows, due now. */
  async function publicationFor(count: number): Promise<number> {
    const publicationId = nextPublication++;
    stack.files.add(publicationId, `F${publicationId}.zip`, await zipFixture());
    await new DeliveryRepository(ctx.handle.db).createForPublication(
      publicationId,
      entrepriseId,
      channels.slice(0, count),
      clock.now(),
    );
    return publicationId;
  }

  const rowsOf = (publicationId: number): Promise<DeliveryRow[]> =>
    new DeliveryRepository(ctx.handle.db).listForPublication(publicationId);

  it('gives back at once the claimed rows not started; another dispatcher sends them without waiting for the lease', async () => {
    const publicationId = await publicationFor(5);
    const held = new HeldTransport('reading');
    const stop = new StopController();
    const first = stack
      .dispatcher({ workerId: 'stopping', batchSize: 5, transports: { email: held } })
      .runDue(stop);
    await within(held.started.promise, 'the first send to start');
    assert.equal(
      (await rowsOf(publicationId)).filter((row) => row.status === 'delivering').length,
      5,
      'the whole batch is claimed',
    );

    stop.drain();
    // The send under way is still going on; the four others are free again, as if never claimed.
    const waiting = async () =>
      (await rowsOf(publicationId)).filter((row) => row.status === 'pending' && row.lease_owner === null);
    for (let tries = 0; (await waiting()).length < 4 && tries < 500; tries++)
      await new Promise((r) => setTimeout(r, 10));
    const givenBack = await waiting();
    assert.equal(givenBack.length, 4);
    for (const row of givenBack) {
      assert.equal(row.attempts, 0, 'the claim is not counted as an attempt');
      assert.equal(row.first_attempt_at, null);
      assert.equal(row.lease_expires_at, null);
    }

    // Same instant: nothing waits for the 15-minute lease.
    const other = new RecordingTransport();
    const summary = await within(
      stack.dispatcher({ workerId: 'other', transports: { email: other } }).runDue(),
      'the other dispatcher',
    );
    assert.equal(summary.delivered, 4);
    assert.equal(other.sent.length, 4);

    held.release.resolve();
    assert.deepEqual(await within(first, 'the stopping dispatcher'), {
      delivered: 1,
      retried: 0,
      failed: 0,
      lost: 0,
      released: 4,
    });
    const rows = await rowsOf(publicationId);
    assert.ok(
      rows.every((row) => row.status === 'delivered' && row.attempts === 1),
      JSON.stringify(rows),
    );
  });

  it('claims one row at a time by default: a process killed without warning strands only the row it sends', async () => {
    const publicationId = await publicationFor(3);
    const held = new HeldTransport('reading');
    const stop = new StopController();
    const running = stack.dispatcher({ workerId: 'single', transports: { email: held } }).runDue(stop);
    await within(held.started.promise, 'the first send to start');
    const rows = await rowsOf(publicationId);
    assert.deepEqual(
      rows.map((row) => row.status),
      ['delivering', 'pending', 'pending'],
    );
    stop.drain();
    held.release.resolve();
    assert.deepEqual(await within(running, 'the dispatcher'), {
      delivered: 1,
      retried: 0,
      failed: 0,
      lost: 0,
    });
    await stack.dispatcher({ transports: { email: new RecordingTransport() } }).runDue();
  });

  for (const mode of ['reading', 'connecting'] as const) {
    it(`cuts a send under way (${mode}) when cancelled and gives its row back, not as a failure`, async () => {
      const publicationId = await publicationFor(1);
      const held = new HeldTransport(mode);
      const stop = new StopController();
      const running = stack.dispatcher({ workerId: `cut-${mode}`, transports: { email: held } }).runDue(stop);
      await within(held.started.promise, 'the send to start');
      stop.drain();
      stop.cancel();
      assert.deepEqual(await within(running, 'the cancelled dispatcher'), {
        delivered: 0,
        retried: 0,
        failed: 0,
        lost: 0,
        released: 1,
      });
      if (mode === 'reading') assert.ok(held.streamError, 'the file stream was cut');
      const [row] = await rowsOf(publicationId);
      assert.equal(row?.status, 'pending');
      assert.equal(row?.attempts, 0);
      assert.equal(row?.last_error, null, 'no failure recorded');
      assert.equal(row?.lease_owner, null);
      const other = new RecordingTransport();
      assert.equal(
        (await stack.dispatcher({ transports: { email: other } }).runDue()).delivered,
        1,
        'sent at once by another dispatcher',
      );
    });
  }
});
