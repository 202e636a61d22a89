export { forbiddenAddressReason, isForbiddenAddress } from "./address";
export { isOutboundException, OUTBOUND_MAX_REDIRECTS, OUTBOUND_MAX_RESPONSE_BYTES, OUTBOUND_TIMEOUT_MS, outboundFetch } from "./fetch";
export type { OutboundRequest, OutboundResponse } from "./fetch";
export { isOutboundError, OutboundError } from "./outbound-error";
export { outboundFetchAsFetch } from "./as-fetch";
export type { OutboundFailure } from "./outbound-error";
