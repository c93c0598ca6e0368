import { type EntityManager } from '@mikro-orm/core';
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
}
