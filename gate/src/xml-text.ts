// Reading metadata XML as text, for the project-rule checks that report file and line: the
// parsed tree has no line numbers, and a rule must not fire on an element inside a comment.

/** XML comments blanked out (newlines kept), so elements inside comments are not read. */
export function withoutComments(xml: string): string {
  return xml.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));
}

/** The 1-based line of `index` in `text`. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
