/**
 * Reads what matters out of an AWS SDK v3 failure, whatever its shape: service exceptions carry a
 * `name`, a `$fault` and an HTTP status; network faults are plain Node errors with neither.
 * @packageDocumentation
 */

/** The parts of a failed SDK call that decide how it is reported. @internal */
export interface SdkFailure {
  /** The service's error code (`ResourceNotFoundException`), or the JavaScript error's name. */
  readonly code: string;
  readonly message: string;
  /** HTTP status of the response, when one arrived. */
  readonly httpStatus?: number;
  /**
   * True when trying the same call again may succeed: no response at all (network, timeout),
   * a 5xx, a server fault, or anything that is not a service's own 4xx answer.
   */
  readonly transient: boolean;
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly attempts?: unknown };
}

/** Classifies anything an SDK promise rejected with. @internal */
export function describeSdkFailure(error: unknown): SdkFailure {
  if (typeof error !== 'object' || error === null) {
    return { code: 'Unknown', message: String(error), transient: true };
  }
  const shape = error as SdkErrorShape;
  const name = typeof shape.name === 'string' && shape.name !== '' ? shape.name : 'Unknown';
  // Node network errors keep the interesting part (ECONNREFUSED, ECONNRESET) in `code`.
  const code = name === 'Error' && typeof shape.code === 'string' ? shape.code : name;
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const status = shape.$metadata?.httpStatusCode;
  const httpStatus = typeof status === 'number' ? status : undefined;
  const serviceClientFault = shape.$fault === 'client' && (httpStatus === undefined || (httpStatus >= 400 && httpStatus < 500));
  return httpStatus === undefined
    ? { code, message, transient: !serviceClientFault }
    : { code, message, httpStatus, transient: !serviceClientFault };
}

/**
 * How many times the client sent the request that failed, as the SDK records it in
 * `$metadata.attempts`: its retry middleware does for any token-based strategy (standard, adaptive,
 * configured, a user's own) and any `maxAttempts`, and so do the SDK's older `retry()` strategies.
 * 1 when nothing was recorded (a client without the retry middleware sends once).
 * @internal
 */
export function attemptsOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 1;
  const attempts = (error as SdkErrorShape).$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 1 ? attempts : 1;
}
