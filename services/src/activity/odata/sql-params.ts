// Parameters of one SQL statement: every value of a request goes through add(), never into the
// statement's text.
export class SqlParams {
  readonly values: unknown[] = [];

  /** `$n::cast` for the value. `cast` comes from the model, never from the request. */
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}
