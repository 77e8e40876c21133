import { Controller, Get, Header } from '@nestjs/common';
import { OPENAPI_DOCUMENT, renderDocs } from './openapi';

/** The API's description: OpenAPI JSON, and a page to browse it. Public. */
@Controller()
export class DocsController {
  private readonly page = renderDocs();

  @Get('openapi.json')
  openapi(): typeof OPENAPI_DOCUMENT {
    return OPENAPI_DOCUMENT;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs(): string {
    return this.page;
  }
}
