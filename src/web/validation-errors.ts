import type { FastifySchemaValidationError } from 'fastify';

/** Where a request value was read. */
export type InputLocation = 'body' | 'querystring' | 'params' | 'headers';

/** One broken schema rule of a request, as the REST API reports it in `errors`. */
export interface InputError {
  /** JSON Pointer into the location (`/lines/0/format`, `/page`); `''` for the location as a whole. */
  field: string;
  location: InputLocation;
  /** The JSON Schema keyword broken (`required`, `type`, …); a union of literal values reports `enum`. */
  rule: string;
  /** French, naming the field, its location and the rule. */
  message: string;
}

/** What the request of a failed validation holds: the route's schema and the value checked, per location. */
export interface ValidatedRequest {
  schema: unknown;
  data: unknown;
}

/** A rule broken at one field, unions already resolved to the branch the value was meant for. */
interface Violation {
  field: string;
  rule: string;
  params: Readonly<Record<string, unknown>>;
  /** The schema holding the broken keyword, when it could be found (tells an integer from a number). */
  schema: Record<string, unknown> | undefined;
}

const UNION_KEYWORDS = new Set(['anyOf', 'oneOf']);
const LITERAL_KEYWORDS = new Set(['const', 'enum']);

/**
 * The ajv errors of a failed validation, as the API reports them. A union (TypeBox compiles unions to
 * `anyOf`) gives one error per branch plus its own: they become the error of the branch the value was
 * meant for, or one `enum` error when every branch is a literal value.
 */
export function inputErrorsOf(
  errors: readonly FastifySchemaValidationError[],
  location: InputLocation,
  request: ValidatedRequest,
): InputError[] {
  return violationsOf(errors, request).map((violation) => ({
    field: violation.field,
    location,
    rule: violation.rule,
    message: frenchViolation(violation, location),
  }));
}

function violationsOf(
  errors: readonly FastifySchemaValidationError[],
  request: ValidatedRequest,
): Violation[] {
  const unions = errors.filter((e) => UNION_KEYWORDS.has(e.keyword));
  const outermost = unions.filter((u) => !unions.some((other) => other !== u && isInside(u, other)));
  const violations: Violation[] = [];
  for (const error of errors) {
    if (outermost.includes(error)) {
      violations.push(
        ...unionViolations(
          error,
          errors.filter((e) => isInside(e, error)),
          request,
        ),
      );
    } else if (!outermost.some((u) => isInside(error, u))) {
      violations.push(plainViolation(error, request));
    }
  }
  return violations;
}

/** Whether `error` was raised by a branch of `union` (same place in the schema and in the value). */
function isInside(error: FastifySchemaValidationError, union: FastifySchemaValidationError): boolean {
  return (
    error !== union &&
    error.schemaPath.startsWith(`${union.schemaPath}/`) &&
    (error.instancePath === union.instancePath || error.instancePath.startsWith(`${union.instancePath}/`))
  );
}

function plainViolation(error: FastifySchemaValidationError, request: ValidatedRequest): Violation {
  const named =
    error.keyword === 'required'
      ? error.params.missingProperty
      : error.keyword === 'additionalProperties'
        ? error.params.additionalProperty
        : undefined;
  return {
    field: typeof named === 'string' ? `${error.instancePath}/${escapePointer(named)}` : error.instancePath,
    rule: error.keyword,
    params: error.params,
    schema: asRecord(schemaAt(request.schema, parentPath(error.schemaPath))),
  };
}

function unionViolations(
  union: FastifySchemaValidationError,
  members: readonly FastifySchemaValidationError[],
  request: ValidatedRequest,
): Violation[] {
  const branches = new Map<number, FastifySchemaValidationError[]>();
  for (const member of members) {
    const index = Number(member.schemaPath.slice(union.schemaPath.length + 1).split('/')[0]);
    branches.set(index, [...(branches.get(index) ?? []), member]);
  }
  // A branch whose only error is the value's type or literal tells nothing about what else is wrong.
  const isMismatch = (branch: readonly FastifySchemaValidationError[]) =>
    branch.length === 1 &&
    branch[0]!.instancePath === union.instancePath &&
    (LITERAL_KEYWORDS.has(branch[0]!.keyword) || branch[0]!.keyword === 'type');
  const all = [...branches.values()];
  if (all.length > 0 && all.every(isMismatch)) return [mismatchViolation(union, all.flat())];

  const value = valueAt(request.data, union.instancePath);
  const schemas = new Map(
    [...branches.keys()].map((index) => [
      index,
      asRecord(schemaAt(request.schema, `${union.schemaPath}/${index}`)),
    ]),
  );
  const discriminator = commonLiteralField([...schemas.values()], value);
  if (discriminator) {
    return [
      {
        field: `${union.instancePath}/${escapePointer(discriminator.name)}`,
        rule: 'enum',
        params: { allowedValues: discriminator.values },
        schema: undefined,
      },
    ];
  }
  const candidates = [...branches].filter(([, branch]) => !isMismatch(branch));
  const known = [...schemas.values()].some((schema) => schema !== undefined);
  if (candidates.length !== 1 && !known) {
    return [{ field: union.instancePath, rule: union.keyword, params: {}, schema: undefined }];
  }
  // The branch the client meant: its literal fields agree most with the value, then it got furthest.
  const depth = (branch: readonly FastifySchemaValidationError[]) =>
    Math.max(...branch.map((e) => e.instancePath.split('/').length));
  const ranked = candidates
    .map(([index, branch]) => ({
      branch,
      agreement: literalAgreement(schemas.get(index), value),
      depth: depth(branch),
    }))
    .sort((a, b) => b.agreement - a.agreement || b.depth - a.depth);
  return ranked[0] === undefined ? [] : violationsOf(ranked[0].branch, request);
}

/** A value no branch takes by its type or literal: one `enum` (or `type`) error listing what each takes. */
function mismatchViolation(
  union: FastifySchemaValidationError,
  members: readonly FastifySchemaValidationError[],
): Violation {
  const values: unknown[] = [];
  const types: string[] = [];
  for (const member of members) {
    if (member.keyword === 'const') values.push(member.params.allowedValue);
    else if (member.keyword === 'enum') values.push(...asArray(member.params.allowedValues));
    else types.push(...typesOf(member.params.type));
  }
  const rule = types.length === 0 ? 'enum' : values.length === 0 ? 'type' : union.keyword;
  return {
    field: union.instancePath,
    rule,
    params: { allowedValues: values, type: types },
    schema: undefined,
  };
}

/** The literal values a schema allows (`const`, `enum`, or a union of them); undefined for other schemas. */
function literalValues(schema: unknown): unknown[] | undefined {
  const s = asRecord(schema);
  if (s === undefined) return undefined;
  if ('const' in s) return [s.const];
  if (Array.isArray(s.enum)) return s.enum;
  const union = s.anyOf ?? s.oneOf;
  if (!Array.isArray(union)) return undefined;
  const values: unknown[] = [];
  for (const branch of union) {
    const literal = literalValues(branch);
    if (literal === undefined) return undefined;
    values.push(...literal);
  }
  return values;
}

function literalFieldsOf(schema: Record<string, unknown> | undefined): Map<string, unknown[]> {
  const fields = new Map<string, unknown[]>();
  for (const [name, property] of Object.entries(asRecord(schema?.properties) ?? {})) {
    const values = literalValues(property);
    if (values !== undefined) fields.set(name, values);
  }
  return fields;
}

/** Literal fields of the value a branch takes, minus those it refuses. */
function literalAgreement(schema: Record<string, unknown> | undefined, value: unknown): number {
  const object = asRecord(value);
  if (object === undefined) return 0;
  let agreement = 0;
  for (const [name, values] of literalFieldsOf(schema)) {
    if (name in object) agreement += values.includes(object[name]) ? 1 : -1;
  }
  return agreement;
}

/** A literal field every branch has (the discriminator), when the value gives it and no branch takes it. */
function commonLiteralField(
  schemas: readonly (Record<string, unknown> | undefined)[],
  value: unknown,
): { name: string; values: unknown[] } | undefined {
  const object = asRecord(value);
  if (object === undefined || schemas.length === 0) return undefined;
  const perBranch = schemas.map(literalFieldsOf);
  for (const name of perBranch[0]!.keys()) {
    if (!(name in object) || !perBranch.every((fields) => fields.has(name))) continue;
    const values = perBranch.flatMap((fields) => fields.get(name)!);
    if (!values.includes(object[name])) return { name, values };
  }
  return undefined;
}

/** The French sentence of one violation: who (field and location), then the rule. */
function frenchViolation(violation: Violation, location: InputLocation): string {
  return `${subjectOf(violation.field, location)} ${frenchRule(violation)}`;
}

const WHOLE_LOCATION: Readonly<Record<InputLocation, string>> = {
  body: 'Le corps de la requête',
  querystring: "La chaîne de paramètres de l'URL",
  params: "Le chemin de l'URL",
  headers: "L'ensemble des en-têtes de la requête",
};

const WHERE: Readonly<Record<InputLocation, string>> = {
  body: 'corps de la requête',
  querystring: "paramètres de l'URL",
  params: "chemin de l'URL",
  headers: 'en-têtes',
};

function subjectOf(field: string, location: InputLocation): string {
  if (field === '') return WHOLE_LOCATION[location];
  const name = readableField(field);
  return location === 'headers' ? `L'en-tête « ${name} »` : `Le champ « ${name} » (${WHERE[location]})`;
}

/** `/lines/0/format` → `lines[0].format`. */
function readableField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map(unescapePointer)
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`,
      '',
    );
}

const TYPE_LABELS: Readonly<Record<string, string>> = {
  integer: 'un entier',
  number: 'un nombre',
  string: 'une chaîne de caractères',
  boolean: 'un booléen (true ou false)',
  object: 'un objet',
  array: 'une liste',
  null: 'null',
};

const FORMAT_LABELS: Readonly<Record<string, string>> = {
  'date-time': 'une date et heure ISO 8601 (par exemple 2026-03-02T09:00:00Z)',
  date: 'une date au format AAAA-MM-JJ',
  time: 'une heure au format HH:MM:SS',
  email: 'une adresse e-mail',
  uri: 'une URL',
  url: 'une URL',
  uuid: 'un UUID',
  hostname: "un nom d'hôte",
  ipv4: 'une adresse IPv4',
  ipv6: 'une adresse IPv6',
};

/** The rule part of the sentence, after the subject: `doit valoir l'une des valeurs : CSV, JSON.` */
function frenchRule({ rule, params, schema }: Violation): string {
  const n = Number(params.limit);
  switch (rule) {
    case 'required':
      return 'est obligatoire.';
    case 'additionalProperties':
      return "n'est pas accepté.";
    case 'type':
      return `doit être ${typesSentence(params.type)}.`;
    case 'const':
      return `doit valoir ${literal(params.allowedValue)}.`;
    case 'enum':
      return allowedValuesSentence(asArray(params.allowedValues));
    case 'anyOf':
    case 'oneOf': {
      const types = typesOf(params.type);
      const values = asArray(params.allowedValues);
      if (types.length === 0 || values.length === 0) return 'ne correspond à aucune des formes acceptées.';
      return `doit être ${typesSentence(types)} ou ${allowedValuesSentence(values).replace(/^doit /, '')}`;
    }
    case 'minimum':
      return `doit être ${numberKind(schema)} supérieur ou égal à ${n}.`;
    case 'exclusiveMinimum':
      return `doit être ${numberKind(schema)} strictement supérieur à ${n}.`;
    case 'maximum':
      return `doit être ${numberKind(schema)} inférieur ou égal à ${n}.`;
    case 'exclusiveMaximum':
      return `doit être ${numberKind(schema)} strictement inférieur à ${n}.`;
    case 'multipleOf':
      return `doit être un multiple de ${String(params.multipleOf)}.`;
    case 'minLength':
      return n === 1 ? 'ne doit pas être vide.' : `doit compter au moins ${n} caractères.`;
    case 'maxLength':
      return `doit compter au plus ${plural(n, 'caractère')}.`;
    case 'pattern':
      return patternRule(String(params.pattern));
    case 'format':
      return `doit être ${FORMAT_LABELS[String(params.format)] ?? `au format ${String(params.format)}`}.`;
    case 'minItems':
      return `doit contenir au moins ${plural(n, 'élément')}.`;
    case 'maxItems':
      return `doit contenir au plus ${plural(n, 'élément')}.`;
    case 'uniqueItems':
      return 'ne doit pas contenir deux fois la même valeur.';
    case 'minProperties':
      return `doit compter au moins ${plural(n, 'champ')}.`;
    case 'maxProperties':
      return `doit compter au plus ${plural(n, 'champ')}.`;
    default:
      return 'est invalide.';
  }
}

function allowedValuesSentence(values: readonly unknown[]): string {
  return values.length === 1
    ? `doit valoir ${literal(values[0])}.`
    : `doit valoir l'une des valeurs : ${values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}.`;
}

/** The patterns of the API said in words (SIREN, PRM, day); any other is quoted. */
function patternRule(pattern: string): string {
  const digits = /^\^\\d\{(\d+)\}\$$/.exec(pattern);
  if (digits) return `doit compter exactement ${digits[1]} chiffres.`;
  if (pattern === '^\\d{4}-\\d{2}-\\d{2}$') return `doit être ${FORMAT_LABELS.date}.`;
  return `ne respecte pas le format attendu (expression régulière ${pattern}).`;
}

function numberKind(schema: Record<string, unknown> | undefined): string {
  return typesOf(schema?.type).includes('integer') ? 'un entier' : 'un nombre';
}

function typesSentence(type: unknown): string {
  return [...new Set(typesOf(type))].map((t) => TYPE_LABELS[t] ?? t).join(' ou ');
}

function literal(value: unknown): string {
  return typeof value === 'string' ? `« ${value} »` : JSON.stringify(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n > 1 ? 's' : ''}`;
}

/** ajv gives `type` as `"integer"`, `"string,null"` or a list. */
function typesOf(type: unknown): string[] {
  if (Array.isArray(type)) return type.map(String);
  return typeof type === 'string' && type !== '' ? type.split(',') : [];
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function parentPath(schemaPath: string): string {
  return schemaPath.slice(0, schemaPath.lastIndexOf('/'));
}

/** The sub-schema at an ajv `schemaPath` (`#/properties/page/minimum`, URI-encoded segments). */
function schemaAt(schema: unknown, schemaPath: string): unknown {
  if (!schemaPath.startsWith('#')) return undefined;
  try {
    return walk(schema, schemaPath.slice(1).split('/').slice(1).map(decodeURIComponent));
  } catch {
    return undefined;
  }
}

/** The value at a JSON Pointer (`/lines/0`), or undefined. */
function valueAt(data: unknown, pointer: string): unknown {
  return walk(data, pointer.split('/').slice(1));
}

function walk(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[unescapePointer(segment)];
  }
  return node;
}
