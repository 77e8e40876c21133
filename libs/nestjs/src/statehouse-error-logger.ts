import { Logger } from '@nestjs/common';
import {
  ErrorThrottle,
  describeBackgroundError,
  type BackgroundErrorHandler,
} from '@statehouse/core';

/**
 * The module's default `onError`: background errors through Nest's Logger (context `Statehouse`),
 * at most one line per source every 30 s, saying how many were suppressed since the previous one.
 */
export function nestLoggerErrorHandler(logger = new Logger('Statehouse')): BackgroundErrorHandler {
  return new ErrorThrottle((error, source, suppressed) =>
    logger.error(describeBackgroundError(error, source, suppressed)),
  ).report;
}
