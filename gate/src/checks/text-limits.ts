import { readFile } from 'node:fs/promises';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';
import { lineAt, withoutComments } from '../xml-text.ts';

// Rule text-limits: a deploy rejects a text element longer than the org stores ("data value too
// large"), and nothing else here measures them. Only limits Salesforce documents are listed; an
// element whose limit is not documented is not checked (docs/verification-gate.md says so).
// A long "why" belongs in an XML comment next to the element, which the deploy ignores.

interface TextLimit {
  /** File suffix of the metadata type. */
  suffix: string;
  /** The element measured (its direct text, entities decoded). */
  element: string;
  max: number;
  /** Where Salesforce documents the limit. */
  source: string;
}

export const TEXT_LIMITS: readonly TextLimit[] = [
  {
    suffix: '.permissionset-meta.xml',
    element: 'description',
    max: 255,
    source: 'PermissionSet.Description, string(255) (Object Reference)'
  },
  {
    suffix: '.permissionset-meta.xml',
    element: 'label',
    max: 80,
    source: 'PermissionSet.Label, string(80) (Object Reference)'
  },
  {
    suffix: '.cspTrustedSite-meta.xml',
    element: 'description',
    max: 255,
    source: 'CspTrustedSite.Description, textarea(255) (Object Reference)'
  },
  {
    suffix: '.field-meta.xml',
    element: 'description',
    max: 1000,
    source: 'CustomField description: up to 1,000 characters (Metadata API, CustomField)'
  },
  {
    suffix: '.field-meta.xml',
    element: 'inlineHelpText',
    max: 510,
    source: 'CustomField inlineHelpText: up to 510 characters (Metadata API, CustomField)'
  },
  {
    suffix: '.field-meta.xml',
    element: 'label',
    max: 40,
    source: 'custom field labels: up to 40 characters (Salesforce Help, Custom Field Attributes)'
  },
  {
    suffix: '.object-meta.xml',
    element: 'description',
    max: 1000,
    source: 'CustomObject description: up to 1,000 characters (Metadata API, CustomObject)'
  },
  {
    suffix: '.object-meta.xml',
    element: 'label',
    max: 40,
    source: 'custom object labels: up to 40 characters (Salesforce Help)'
  },
  // The descriptions below are kept by the org in 255-character columns (the Setup pages and the
  // Tooling API objects StaticResource, ValidationRule, CustomApplication and FlexiPage): a longer
  // one is refused at deploy.
  {
    suffix: '.resource-meta.xml',
    element: 'description',
    max: 255,
    source:
      'StaticResource description: 255 characters (Setup, Static Resources; Tooling API StaticResource)'
  },
  {
    suffix: '.validationRule-meta.xml',
    element: 'description',
    max: 255,
    source:
      'ValidationRule description: 255 characters (Setup, Validation Rules; Tooling API ValidationRule)'
  },
  {
    suffix: '.app-meta.xml',
    element: 'description',
    max: 255,
    source:
      'CustomApplication description: 255 characters (Setup, App Manager; Tooling API CustomApplication)'
  },
  {
    suffix: '.flexipage-meta.xml',
    element: 'description',
    max: 255,
    source:
      'FlexiPage description: 255 characters (Lightning App Builder page properties; Tooling API FlexiPage)'
  }
];

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The characters the org stores for an element's text: entities count as one. */
export function storedLength(text: string): number {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_m, name: string) =>
    ENTITIES[name] !== undefined ? ENTITIES[name] : 'x'
  ).length;
}

/** Rule text-limits: see the top of this file. */
export async function checkTextLimits(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  let measured = 0;
  const suffixes = [...new Set(TEXT_LIMITS.map((limit) => limit.suffix))];
  for (const suffix of suffixes) {
    const limits = TEXT_LIMITS.filter((limit) => limit.suffix === suffix);
    for (const file of filesEnding(ws, suffix)) {
      const active = withoutComments(await readFile(file, 'utf8'));
      for (const limit of limits) {
        // Top-level elements only: a depth-1 child of the root (two-space or any indentation,
        // but not nested inside another element such as a value set's <label>).
        const pattern = new RegExp(`<${limit.element}>([^<]*)</${limit.element}>`, 'g');
        for (const match of active.matchAll(pattern)) {
          if (!isTopLevel(active, match.index)) continue;
          measured++;
          const length = storedLength(match[1] ?? '');
          if (length <= limit.max) continue;
          findings.push({
            check: 'text-limits',
            file: rel(ws, file),
            line: lineAt(active, match.index),
            severity: 'error',
            message: `<${limit.element}> is ${length} characters; the org stores at most ${limit.max} (${limit.source}), so the deploy fails with "data value too large": shorten it and move the explanation into an XML comment`
          });
        }
      }
    }
  }
  return { findings, summary: `${measured} text elements measured` };
}

/** Whether the element at `index` is a direct child of the document's root element. */
function isTopLevel(xml: string, index: number): boolean {
  let depth = 0;
  for (const tag of xml.slice(0, index).matchAll(/<(\/?)([A-Za-z][\w:.-]*)[^>]*?(\/?)>/g)) {
    if (tag[3] === '/') continue;
    depth += tag[1] === '/' ? -1 : 1;
  }
  return depth === 1;
}
