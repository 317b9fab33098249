// Metadata XML as a tree of elements that know their line, for the checks that name file and
// line for a reference or an element (the parsed tree of fast-xml-parser has no positions).
// Well-formedness is the `xml` check's job: this reader is lenient and never throws on a broken
// file, it reads what it can.

export interface XmlElement {
  name: string;
  /** 1-based line of the element's start tag. */
  line: number;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (entities decoded, trimmed); '' for elements with children. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? '';
  });
}

const TOKEN =
  /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<[?!][\s\S]*?>|<\/([^\s>]+)\s*>|<([^\s/>]+)([^>]*?)(\/?)>|([^<]+)/g;
const ATTRIBUTE = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** The document's root element, or undefined when the text holds none. */
export function parseXmlTree(xml: string): XmlElement | undefined {
  const root: XmlElement = { name: '#document', line: 1, attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let line = 1;
  let counted = 0;
  const lineOf = (index: number): number => {
    for (; counted < index; counted++) if (xml.charCodeAt(counted) === 10) line++;
    return line;
  };
  for (const match of xml.matchAll(TOKEN)) {
    const [token, cdata, closing, opening, attributeText = '', selfClosing, text] = match;
    const top = stack[stack.length - 1] as XmlElement;
    if (opening !== undefined) {
      const attributes: Record<string, string> = {};
      for (const [, name, , double, single] of attributeText.matchAll(ATTRIBUTE)) {
        if (name) attributes[name] = decode(double ?? single ?? '');
      }
      const element: XmlElement = {
        name: opening,
        line: lineOf(match.index),
        attributes,
        children: [],
        text: ''
      };
      top.children.push(element);
      if (selfClosing !== '/') stack.push(element);
    } else if (closing !== undefined) {
      if (stack.length > 1 && top.name === closing) stack.pop();
    } else if (cdata !== undefined) {
      top.text += cdata;
    } else if (text !== undefined && token.trim() !== '') {
      top.text += decode(text);
    }
  }
  const trim = (element: XmlElement): void => {
    element.text = element.children.length > 0 ? '' : element.text.trim();
    element.children.forEach(trim);
  };
  trim(root);
  return root.children[0];
}

/** The direct children named `name`. */
export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
}

/** The first direct child named `name`. */
export function childNamed(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** The text of the first direct child named `name`, or undefined. */
export function childText(element: XmlElement | undefined, name: string): string | undefined {
  return childNamed(element, name)?.text;
}

/** Every element of the tree, depth first, with its ancestors (nearest last). */
export function* descendants(
  element: XmlElement,
  ancestors: XmlElement[] = []
): Generator<{ element: XmlElement; ancestors: XmlElement[] }> {
  for (const child of element.children) {
    yield { element: child, ancestors };
    yield* descendants(child, [...ancestors, element]);
  }
}
