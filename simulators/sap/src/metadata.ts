/**
 * `$metadata`: an EDMX (OData V2, `m:DataServiceVersion="2.0"`) for the entity types the
 * simulator serves, generated from the same property tables that drive validation, with SAP's
 * `sap:` annotations left out. Associations are reduced to what navigation needs.
 */
import { ENTITY_TYPES, SERVICE_NAME, keysOf, type EntityTypeName } from './entities.ts';

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
}

export function buildMetadata(): string {
  const types: string[] = [];
  const associations: string[] = [];
  const sets: string[] = [];
  const associationSets: string[] = [];
  for (const [typeName, def] of Object.entries(ENTITY_TYPES) as Array<
    [EntityTypeName, (typeof ENTITY_TYPES)[EntityTypeName]]
  >) {
    const keys = keysOf(typeName)
      .map((k) => `<PropertyRef Name="${k}"/>`)
      .join('');
    const properties = Object.entries(def.properties)
      .map(([name, p]) => {
        const length = p.maxLength !== undefined ? ` MaxLength="${p.maxLength}"` : '';
        const nullable = p.key ? ' Nullable="false"' : '';
        const precision = p.type === 'Edm.DateTime' ? ' Precision="0"' : '';
        return `<Property Name="${name}" Type="${p.type}"${nullable}${length}${precision}/>`;
      })
      .join('');
    const navigation = Object.entries(def.navigation)
      .map(([name, nav]) => {
        const association = `assoc_${typeName}_${name}`;
        associations.push(
          `<Association Name="${association}">` +
            `<End Type="${SERVICE_NAME}.${typeName}" Multiplicity="1" Role="FromRole_${association}"/>` +
            `<End Type="${SERVICE_NAME}.${nav.target}" Multiplicity="*" Role="ToRole_${association}"/>` +
            `</Association>`
        );
        associationSets.push(
          `<AssociationSet Name="${association}_set" Association="${SERVICE_NAME}.${association}">` +
            `<End EntitySet="${def.set}" Role="FromRole_${association}"/>` +
            `<End EntitySet="${ENTITY_TYPES[nav.target].set}" Role="ToRole_${association}"/>` +
            `</AssociationSet>`
        );
        return (
          `<NavigationProperty Name="${name}" Relationship="${SERVICE_NAME}.${association}" ` +
          `FromRole="FromRole_${association}" ToRole="ToRole_${association}"/>`
        );
      })
      .join('');
    types.push(
      `<EntityType Name="${typeName}"><Key>${keys}</Key>${properties}${navigation}</EntityType>`
    );
    sets.push(`<EntitySet Name="${def.set}" EntityType="${SERVICE_NAME}.${typeName}"/>`);
  }
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" ' +
    'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">' +
    '<edmx:DataServices m:DataServiceVersion="2.0">' +
    `<Schema Namespace="${escape(SERVICE_NAME)}" xml:lang="en" ` +
    'xmlns="http://schemas.microsoft.com/ado/2008/09/edm">' +
    types.join('') +
    associations.join('') +
    `<EntityContainer Name="${SERVICE_NAME}_Entities" m:IsDefaultEntityContainer="true">` +
    sets.join('') +
    associationSets.join('') +
    '</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>'
  );
}
