// Typed RTSP errors: each carries the status code it maps to, a message saying what was wrong,
// and extra response headers (Allow, Retry-After, WWW-Authenticate...).
import { RtspStatus, type RtspStatusCode } from "./status";

export class RtspError extends Error {
  constructor(
    readonly status: RtspStatusCode,
    message: string,
    readonly headers: Readonly<Record<string, string | string[]>> = {},
  ) {
    super(message);
    this.name = "RtspError";
  }
}

/** The request could not be framed or parsed. `fatal`: the byte stream cannot be resynchronised. */
export class MalformedRequestError extends RtspError {
  constructor(
    message: string,
    readonly fatal: boolean,
    status: RtspStatusCode = RtspStatus.BadRequest,
  ) {
    super(status, message);
    this.name = "MalformedRequestError";
  }
}

export class HeaderSyntaxError extends RtspError {
  constructor(header: string, value: string, why: string) {
    super(RtspStatus.BadRequest, `malformed ${header} header ${JSON.stringify(value.slice(0, 80))}: ${why}`);
    this.name = "HeaderSyntaxError";
  }
}

export const notFound = (what: string) => new RtspError(RtspStatus.NotFound, `no content named ${JSON.stringify(what)}`);
export const sessionNotFound = (id: string) => new RtspError(RtspStatus.SessionNotFound, `no session ${JSON.stringify(id)}`);
export const badState = (method: string, state: string) => new RtspError(RtspStatus.MethodNotValidInThisState, `${method} is not valid in state ${state}`);
