import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeOf } from '../../test/support/app-errors.js';
import { checkRightsChange, type RightsHolder } from './habilitation-rules.js';

const admin: RightsHolder = {
  id: 1,
  habilitations: ['GESTION_UTILISATEURS', 'CONSULTATION'],
  sirenPerimeter: null,
  active: true,
};
const services: RightsHolder = {
  id: 2,
  habilitations: ['GESTION_SERVICES_DONNEES'],
  sirenPerimeter: null,
  active: true,
};
const reader: RightsHolder = {
  id: 3,
  habilitations: ['CONSULTATION'],
  sirenPerimeter: ['356000000'],
  active: true,
};
const all = [admin, services, reader];

describe('habilitation rules', () => {
  it('lets GESTION_UTILISATEURS grant and revoke GESTION_SERVICES_DONNEES', () => {
    assert.doesNotThrow(() =>
      checkRightsChange(admin, reader, { habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'] }, all),
    );
    assert.doesNotThrow(() => checkRightsChange(admin, services, { habilitations: ['CONSULTATION'] }, all));
  });

  it('forbids GESTION_SERVICES_DONNEES from granting anything', () => {
    assert.equal(
      codeOf(() =>
        checkRightsChange(
          services,
          reader,
          { habilitations: ['CONSULTATION', 'GESTION_SERVICES_DONNEES'] },
          all,
        ),
      ),
      'FORBIDDEN_HABILITATION',
    );
    assert.equal(
      codeOf(() => checkRightsChange(services, services, { habilitations: ['GESTION_UTILISATEURS'] }, all)),
      'FORBIDDEN_HABILITATION',
    );
  });

  it('forbids widening one own habilitations or perimeter', () => {
    const restricted = { ...admin, sirenPerimeter: ['356000000'] };
    assert.equal(
      codeOf(() =>
        checkRightsChange(
          admin,
          admin,
          { habilitations: ['GESTION_UTILISATEURS', 'CONSULTATION', 'GESTION_SERVICES_DONNEES'] },
          [admin, { ...admin, id: 9 }],
        ),
      ),
      'SELF_RIGHTS_WIDENING',
    );
    assert.equal(
      codeOf(() => checkRightsChange(restricted, restricted, { sirenPerimeter: null }, [restricted])),
      'SELF_RIGHTS_WIDENING',
    );
    assert.doesNotThrow(
      () => checkRightsChange(admin, admin, { habilitations: ['GESTION_UTILISATEURS'] }, all),
      'narrowing is fine',
    );
  });

  it('forbids granting a perimeter wider than one own', () => {
    const restricted = { ...admin, sirenPerimeter: ['356000000'] };
    assert.equal(
      codeOf(() =>
        checkRightsChange(restricted, reader, { sirenPerimeter: ['356000000', '552100554'] }, all),
      ),
      'PERIMETER_BEYOND_OWN',
    );
  });

  it('answers a user outside a limited manager perimeter as unknown, whatever the change', () => {
    const restricted = { ...admin, id: 5, sirenPerimeter: ['356000000'] };
    const otherSiren = { ...reader, id: 6, sirenPerimeter: ['552100554'] };
    const bothSirens = { ...reader, id: 7, sirenPerimeter: ['356000000', '552100554'] };
    const users = [...all, restricted, otherSiren, bothSirens];
    for (const target of [admin, services, otherSiren, bothSirens]) {
      assert.equal(
        codeOf(() => checkRightsChange(restricted, target, { active: false }, users)),
        'NOT_FOUND',
      );
      assert.equal(
        codeOf(() =>
          checkRightsChange(restricted, target, { habilitations: ['GESTION_UTILISATEURS'] }, users),
        ),
        'NOT_FOUND',
      );
    }
    assert.doesNotThrow(() => checkRightsChange(restricted, reader, { active: false }, users), 'within');
    assert.doesNotThrow(
      () => checkRightsChange(admin, otherSiren, { active: false }, users),
      'full perimeter',
    );
  });

  it('never removes or deactivates the last active GESTION_UTILISATEURS', () => {
    assert.equal(
      codeOf(() => checkRightsChange(admin, admin, { habilitations: ['CONSULTATION'] }, all)),
      'LAST_USER_MANAGER',
    );
    assert.equal(
      codeOf(() => checkRightsChange(admin, admin, { active: false }, all)),
      'LAST_USER_MANAGER',
    );
    const second = { ...admin, id: 4 };
    assert.doesNotThrow(() => checkRightsChange(admin, admin, { active: false }, [...all, second]));
    assert.equal(
      codeOf(() =>
        checkRightsChange(admin, admin, { active: false }, [...all, { ...second, active: false }]),
      ),
      'LAST_USER_MANAGER',
      'an inactive manager does not count',
    );
  });
});
