import { type EntityManager, type MikroORM } from '@mikro-orm/core';
import { type Lang, type InfoName } from './info/status';
import { type Authentication } from './sessions/authentication';

/** A failure returned as a union member, with where it sits in the response (for the envelope). */
export interface RecordedFailure {
  path: readonly (string | number)[];
  info: InfoName;
}

export interface ClientInfo {
  address: string;
  userAgent: string | null;
}

/** Everything a resolver may know about the request it serves. Built once per HTTP request. */
export interface Context {
  readonly requestId: string;
  readonly lang: Lang;
  /** This request's own unit of work (a fork of the global EntityManager, made on first use). */
  readonly em: EntityManager;
  readonly auth: Authentication;
  readonly client: ClientInfo;
  readonly failures: RecordedFailure[];
  /**
   * Runs `work` once the whole response has been written, so nothing it does can show in the
   * answer's timing (requestPasswordReset looks the address up only then).
   */
  afterResponse(work: () => void): void;
  /**
   * Aborts, with ClientGone as its reason, once the client has closed its connection before its
   * answer was written. A password hash still waiting for its turn checks it (PasswordHasher).
   */
  readonly clientGone: AbortSignal;
}

/** The client closed its connection before its answer was written: nobody will read it. */
export class ClientGone extends Error {
  constructor() {
    super('the client closed its connection before its answer was written');
    this.name = 'ClientGone';
  }
}

/**
 * One request's unit of work, forked on first use. Requests that never touch the database (most
 * failures, `infoCodes`, `__typename`) never pay for a fork.
 */
export class UnitOfWork {
  private forked?: EntityManager;

  constructor(private readonly orm: MikroORM) {}

  get em(): EntityManager {
    return (this.forked ??= this.orm.em.fork());
  }
}

/**
 * The context as a class: Apollo copies the context's own properties into a fresh object for
 * each operation (`Object.assign`), which would call a getter defined on the object itself and
 * fork the EntityManager up front. Here `em` lives on the prototype and the copy shares `unit`.
 */
export class RequestContext implements Context {
  readonly failures: RecordedFailure[] = [];
  /** Shared with Apollo's per-operation copy of the context, like `failures`. */
  readonly deferred: (() => void)[] = [];

  constructor(
    readonly requestId: string,
    readonly lang: Lang,
    readonly auth: Authentication,
    readonly client: ClientInfo,
    private readonly unit: UnitOfWork,
    /** Makes clientGone's signal; called only when something asks for it. */
    private readonly watchClient: () => AbortSignal,
  ) {}

  get em(): EntityManager {
    return this.unit.em;
  }

  private watched?: AbortSignal;

  get clientGone(): AbortSignal {
    return (this.watched ??= this.watchClient());
  }

  afterResponse(work: () => void): void {
    this.deferred.push(work);
  }
}
