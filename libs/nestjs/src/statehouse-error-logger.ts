import { Logger } from '@nestjs/common';
import type { BackgroundErrorHandler } from '@statehouse/core';
import { requirePackage } from './statehouse-packages';

/**
 * The module's default `onError`: background errors through Nest's Logger (context `Statehouse`),
 * at most one line per source every 30 s, saying how many were suppressed since the previous one.
 * Engine mode only (the network client has no background work), so @statehouse/core is loaded
 * here, on use: the module itself must load without it.
 */
export function nestLoggerErrorHandler(logger = new Logger('Statehouse')): BackgroundErrorHandler {
  const { ErrorThrottle, describeBackgroundError } = requirePackage('@statehouse/core');
  return new ErrorThrottle((error, source, suppressed) =>
    logger.error(describeBackgroundError(error, source, suppressed)),
  ).report;
}
