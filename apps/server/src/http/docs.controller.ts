import { dirname } from 'node:path';
import { Controller, Get, Header, Req, type OnApplicationBootstrap } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { GrpcServer } from '../grpc/grpc-server';
import { DOCS, OPENAPI } from './health.api';
import { ApiOperation } from './openapi/operation.decorator';
import { OpenApiDocument } from './openapi/openapi-document';

/** Where /docs finds Swagger UI's files: the swagger-ui-dist package installed with the server. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
/** The files of Swagger UI the page loads, under /docs/assets/ (nothing else of the package). */
const DOCS_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

/**
 * The page of /docs: Swagger UI from this server's own files (no CDN: it works offline), on
 * /openapi.json. Relative links, so it also works behind a proxy that adds a path prefix.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statehouse HTTP API</title>
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
</script>
</body>
</html>
`;

/** The API's description: the generated OpenAPI document, and Swagger UI to browse it. Public. */
@Controller()
export class DocsController implements OnApplicationBootstrap {
  constructor(
    private readonly document: OpenApiDocument,
    private readonly grpc: GrpcServer,
  ) {}

  /** Every route must be described before the server serves anything. */
  onApplicationBootstrap(): void {
    this.document.check();
  }

  @Get('openapi.json')
  @ApiOperation(OPENAPI)
  openapi(@Req() request: Request): object {
    const origin =
      this.document.configuredOrigin(request.socket.localPort ?? 0) ??
      `${request.protocol}://${request.get('host') ?? 'localhost'}`;
    return this.document.forOrigin(origin, this.grpc.port);
  }

  @Get('docs')
  @ApiOperation(DOCS)
  @Header('content-type', 'text/html; charset=utf-8')
  docs(): string {
    return PAGE;
  }
}

/** Middleware for /docs/assets: Swagger UI's files, cached a day; 404 for anything else. */
export function docsAssets(request: Request, response: Response, next: NextFunction): void {
  const file = request.path.replace(/^\//, '');
  if ((request.method !== 'GET' && request.method !== 'HEAD') || !DOCS_ASSETS.has(file)) {
    return next();
  }
  response.sendFile(file, { root: SWAGGER_UI_DIR, maxAge: '1d' });
}
