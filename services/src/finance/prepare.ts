// What every entry point does before any API call: read the mapping file, parse its query with
// the project's SOQL parser, refuse what Bulk API 2.0 or the export cannot run (compound fields
// known from the project's metadata included), and check the mapping covers exactly the
// selected columns. Throws MappingError or ExportQueryError, whose messages say what to change.
import { parseExportQuery, selectedParents, type ExportQuery } from './export-query.ts';
import { columnsInQueryOrder, loadMapping, type FinanceMapping } from './mapping.ts';
import { projectSchemaChecks } from './schema-checks.ts';

export interface PreparedExport {
  mapping: FinanceMapping;
  query: ExportQuery;
}

export async function prepareExport(mappingFile: string): Promise<PreparedExport> {
  const mapping = await loadMapping(mappingFile);
  const checks = await projectSchemaChecks();
  const query = parseExportQuery(mapping.soql, { compoundFields: checks.compoundFields });
  columnsInQueryOrder(mapping, query.columns, mappingFile);
  // The incremental window follows the parents that are one object (Account__r), not the
  // polymorphic ones (Owner: User or Group), whose SystemModstamp SOQL cannot filter on.
  const windowParents = selectedParents(query).filter((parent) =>
    checks.singleParent(query.object, parent.split('.'))
  );
  return { mapping, query: { ...query, windowParents } };
}
