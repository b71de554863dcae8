import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConnectionLoss, retryOnConnectionLoss } from './connection-loss.js';

const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
  code: '57P01',
});

describe('connection loss', () => {
  it('tells a lost connection from a faulty statement', () => {
    assert.equal(isConnectionLoss(terminated), true);
    assert.equal(isConnectionLoss(new Error('Connection terminated unexpectedly')), true);
    assert.equal(
      isConnectionLoss(new Error('Client has encountered a connection error and is not queryable')),
      true,
    );
    assert.equal(
      isConnectionLoss(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      true,
    );
    assert.equal(isConnectionLoss(Object.assign(new Error('duplicate key'), { code: '23505' })), false);
    assert.equal(isConnectionLoss('57P01'), false);
  });

  it('runs a statement again on a new connection, and only for a lost connection', async () => {
    let calls = 0;
    const recorded = await retryOnConnectionLoss(
      () => (++calls < 3 ? Promise.reject(terminated) : Promise.resolve(true)),
      { firstDelayMs: 1 },
    );
    assert.deepEqual([recorded, calls], [true, 3]);

    calls = 0;
    const duplicate = Object.assign(new Error('duplicate key'), { code: '23505' });
    await assert.rejects(
      retryOnConnectionLoss(() => (++calls, Promise.reject(duplicate)), { firstDelayMs: 1 }),
      duplicate,
    );
    assert.equal(calls, 1);

    calls = 0;
    await assert.rejects(
      retryOnConnectionLoss(() => (++calls, Promise.reject(terminated)), { attempts: 4, firstDelayMs: 1 }),
      terminated,
    );
    assert.equal(calls, 4);
  });
});
