import { type ASTNode, GraphQLError } from 'graphql';
import { translate, type MessageKey, type MessageParams } from './i18n';
import { type InfoName, infocodeOf } from './status';

/**
 * An error we raise on purpose into the `errors` array (a resolver's, or a validation rule's),
 * with its code and a catalog message: English here, the client's language in the response.
 */
export class ApiError extends GraphQLError {
  constructor(
    readonly info: InfoName,
    readonly messageKey: MessageKey,
    readonly messageParams?: MessageParams,
    /** Where in the document, for a validation rule's error. */
    nodes?: ASTNode,
  ) {
    super(translate('en', messageKey, messageParams), {
      nodes,
      extensions: { infocode: infocodeOf(info), info },
    });
  }
}
