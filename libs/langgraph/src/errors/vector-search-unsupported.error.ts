import { ValidationError } from '@statehouse/contract';

/**
 * StatehouseStore has no vector search: an `index` configuration (embeddings) is refused instead
 * of being ignored, so semantic search never silently degrades to an unranked listing.
 */
export class VectorSearchUnsupportedError extends ValidationError {
  constructor(field: string) {
    super(
      field,
      'is not supported: StatehouseStore has no vector search (no embeddings are computed or ' +
        'stored); search filters by namespace prefix and value fields only',
    );
  }
}
