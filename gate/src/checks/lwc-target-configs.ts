import { childrenNamed, type XmlElement } from '../xml-tree.ts';

/*
 * The content of an LWC's `<targetConfigs>`. The Metadata API WSDL declares it as a string (the
 * bundle compiler parses it, not the WSDL), so its structure is checked here, from Salesforce's
 * "XML Configuration File Elements" reference (LWC Developer Guide) and its per-target pages
 * (lightning__FlowScreen, lightning__RecordAction, analytics__Dashboard, the Agentforce
 * targets). The bundle compiler does not hold these elements to an order, so neither does this.
 */

interface Shape {
  /** Attributes the element may carry; those listed in `required` it must. */
  attributes: string[];
  required?: string[];
  /** Child elements it may contain; undefined for an element that holds text only. */
  children?: string[];
  /** Children that may occur once only ("specify the tag set only once"). */
  once?: string[];
  /** The text values it may hold. */
  values?: string[];
}

const SHAPES: Record<string, Shape> = {
  targetConfig: {
    attributes: ['targets', 'configurationEditor'],
    required: ['targets'],
    children: [
      'property',
      'propertyType',
      'objects',
      'supportedFormFactors',
      'actionType',
      'hasStep',
      'sourceType',
      'targetType'
    ],
    once: ['objects', 'supportedFormFactors', 'actionType', 'hasStep', 'sourceType', 'targetType']
  },
  property: {
    attributes: [
      'name',
      'type',
      'label',
      'description',
      'default',
      'required',
      'min',
      'max',
      'placeholder',
      'datasource',
      'role',
      'filter',
      'exposedTo',
      'screenResponsive'
    ],
    required: ['name', 'type'],
    children: []
  },
  propertyType: {
    attributes: ['name', 'extends', 'label', 'description'],
    required: ['name', 'extends'],
    children: []
  },
  objects: { attributes: [], children: ['object'] },
  object: { attributes: [] },
  supportedFormFactors: { attributes: [], children: ['supportedFormFactor'] },
  supportedFormFactor: { attributes: ['type'], required: ['type'], children: [] },
  actionType: { attributes: [], values: ['ScreenAction', 'Action'] },
  hasStep: { attributes: [], values: ['true', 'false'] },
  sourceType: { attributes: ['name', 'itemTypeName'], required: ['name'], children: [] },
  targetType: { attributes: ['name', 'itemTypeName'], required: ['name'], children: [] }
};

const FORM_FACTORS = ['Large', 'Small'];

export interface StructureProblem {
  line: number;
  message: string;
}

/**
 * Everything in `<targetConfigs>` a deploy of the bundle rejects: an element or attribute not
 * documented where it stands, a missing required attribute, a repeated single tag set, a value
 * outside its list, a `targetConfig` for a target the bundle does not list in `<targets>`.
 */
export function targetConfigProblems(bundle: XmlElement): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const listed = new Set(
    childrenNamed(bundle, 'targets').flatMap((t) => childrenNamed(t, 'target').map((c) => c.text))
  );
  const check = (element: XmlElement, where: string): void => {
    const shape = SHAPES[element.name];
    if (!shape) return;
    const path = `${where}.${element.name}`;
    for (const attribute of Object.keys(element.attributes)) {
      if (attribute.startsWith('xmlns') || shape.attributes.includes(attribute)) continue;
      problems.push({
        line: element.line,
        message: `Attribute ${attribute} invalid on <${element.name}> (${path}): it takes ${shape.attributes.join(', ') || 'no attributes'}`
      });
    }
    for (const attribute of shape.required ?? []) {
      if (element.attributes[attribute] === undefined) {
        problems.push({
          line: element.line,
          message: `<${element.name}> (${path}) lacks its required attribute ${attribute}`
        });
      }
    }
    if (shape.values && !shape.values.includes(element.text)) {
      problems.push({
        line: element.line,
        message: `<${element.name}>${element.text} (${path}): the value must be one of ${shape.values.join(', ')}`
      });
    }
    const allowed = shape.children ?? [];
    const seen = new Set<string>();
    for (const child of element.children) {
      if (!allowed.includes(child.name)) {
        problems.push({
          line: child.line,
          message: `Element ${child.name} invalid at this location in <${element.name}> (${path}): it allows ${allowed.join(', ') || 'no elements'}`
        });
        continue;
      }
      if (shape.once?.includes(child.name) && seen.has(child.name)) {
        problems.push({
          line: child.line,
          message: `<${child.name}> repeated in <${element.name}> (${path}): specify it once per ${element.name}`
        });
      }
      seen.add(child.name);
      check(child, path);
    }
    if (element.name === 'supportedFormFactor') {
      const type = element.attributes.type;
      if (type !== undefined && !FORM_FACTORS.includes(type)) {
        problems.push({
          line: element.line,
          message: `<supportedFormFactor type="${type}"> (${path}): the type must be Large or Small`
        });
      }
    }
    if (element.name === 'targetConfig') {
      for (const target of (element.attributes.targets ?? '').split(',')) {
        const name = target.trim();
        if (name !== '' && !listed.has(name)) {
          problems.push({
            line: element.line,
            message: `<targetConfig targets="${element.attributes.targets}"> (${path}): ${name} is not among the bundle's <targets> (${[...listed].join(', ') || 'none'})`
          });
        }
      }
    }
  };
  for (const configs of childrenNamed(bundle, 'targetConfigs')) {
    for (const child of configs.children) {
      if (child.name === 'targetConfig') check(child, 'LightningComponentBundle.targetConfigs');
      else {
        problems.push({
          line: child.line,
          message: `Element ${child.name} invalid at this location in <targetConfigs> (LightningComponentBundle.targetConfigs): it allows targetConfig`
        });
      }
    }
  }
  return problems;
}
