// What every entry point does before any API call: read the mapping file, parse its query with
// the project's SOQL parser, refuse what Bulk API 2.0 or the export cannot run (compound fields
// known from the project's metadata included), and check the mapping covers exactly the
// selected columns. Throws MappingError or ExportQueryError, whose messages say what to change.
import { projectCompoundFields } from './compound-fields.ts';
import { parseExportQuery, type ExportQuery } from './export-query.ts';
import { columnsInQueryOrder, loadMapping, type FinanceMapping } from './mapping.ts';

export interface PreparedExport {
  mapping: FinanceMapping;
  query: ExportQuery;
}

export async function prepareExport(mappingFile: string): Promise<PreparedExport> {
  const mapping = await loadMapping(mappingFile);
  const query = parseExportQuery(mapping.soql, { compoundFields: await projectCompoundFields() });
  columnsInQueryOrder(mapping, query.columns, mappingFile);
  return { mapping, query };
}
