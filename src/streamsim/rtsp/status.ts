// RTSP 1.0 status codes and reason phrases (RFC 2326 §7.1.1, §11).

export const RtspStatus = {
  OK: 200,
  BadRequest: 400,
  Unauthorized: 401,
  NotFound: 404,
  MethodNotAllowed: 405,
  RequestEntityTooLarge: 413,
  RequestUriTooLarge: 414,
  ParameterNotUnderstood: 451,
  NotEnoughBandwidth: 453,
  SessionNotFound: 454,
  MethodNotValidInThisState: 455,
  HeaderFieldNotValidForResource: 456,
  InvalidRange: 457,
  AggregateOperationNotAllowed: 459,
  UnsupportedTransport: 461,
  OptionNotSupported: 551,
  InternalServerError: 500,
  NotImplemented: 501,
  ServiceUnavailable: 503,
  RtspVersionNotSupported: 505,
} as const;

export type RtspStatusCode = (typeof RtspStatus)[keyof typeof RtspStatus];

const reasons: Record<RtspStatusCode, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  414: "Request-URI Too Large",
  451: "Parameter Not Understood",
  453: "Not Enough Bandwidth",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  456: "Header Field Not Valid for Resource",
  457: "Invalid Range",
  459: "Aggregate Operation Not Allowed",
  461: "Unsupported Transport",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "RTSP Version Not Supported",
  551: "Option not supported",
};

export function reasonPhrase(code: RtspStatusCode): string {
  return reasons[code];
}
