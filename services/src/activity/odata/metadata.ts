// The service document and the CSDL $metadata (OData 4.0 CSDL XML) of the model.
import { ENTITY_SET, ENTITY_TYPE, NAMESPACE, PROPERTIES } from './model.ts';

export const CONTAINER = 'ActivityService';

function propertyXml(p: (typeof PROPERTIES)[number]): string {
  const maxLength = p.maxLength ? ` MaxLength="${p.maxLength}"` : '';
  const precision = p.type === 'Edm.DateTimeOffset' ? ' Precision="3"' : '';
  return `        <Property Name="${p.name}" Type="${p.type}" Nullable="${p.nullable}"${maxLength}${precision}/>`;
}

export const METADATA_XML = [
  '<?xml version="1.0" encoding="utf-8"?>',
  '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
  '  <edmx:DataServices>',
  `    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="${NAMESPACE}">`,
  `      <EntityType Name="${ENTITY_TYPE}">`,
  '        <Key>',
  '          <PropertyRef Name="Id"/>',
  '        </Key>',
  ...PROPERTIES.map(propertyXml),
  '      </EntityType>',
  `      <EntityContainer Name="${CONTAINER}">`,
  `        <EntitySet Name="${ENTITY_SET}" EntityType="${NAMESPACE}.${ENTITY_TYPE}"/>`,
  '      </EntityContainer>',
  '    </Schema>',
  '  </edmx:DataServices>',
  '</edmx:Edmx>',
  ''
].join('\n');

export function serviceDocument(serviceRoot: string) {
  return {
    '@odata.context': `${serviceRoot}/$metadata`,
    value: [{ name: ENTITY_SET, kind: 'EntitySet', url: ENTITY_SET }]
  };
}
