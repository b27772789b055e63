// Error responses in the shapes authentik (Django REST framework) produces.
// Handlers throw these; the server turns them into responses.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${JSON.stringify(body)}`);
  }
}

/** 400 `{field: [msgs], non_field_errors: [msgs]}` */
export class ValidationFailed extends ApiError {
  constructor(readonly fields: Record<string, string[]>) {
    super(400, fields);
  }
}

/** Collects field errors the way a DRF serializer does before raising them together. */
export class FieldErrorCollector {
  readonly fields: Record<string, string[]> = {};
  add(field: string, message: string): void {
    (this.fields[field] ??= []).push(message);
  }
  get empty(): boolean {
    return Object.keys(this.fields).length === 0;
  }
  throwIfAny(): void {
    if (!this.empty) throw new ValidationFailed(this.fields);
  }
}

export function nonFieldError(message: string): ValidationFailed {
  return new ValidationFailed({ non_field_errors: [message] });
}

/** DRF's PrimaryKeyRelatedField message for a dangling reference. */
export function doesNotExist(pk: unknown): string {
  return `Invalid pk "${String(pk)}" - object does not exist.`;
}

/** Django's `get_object_or_404` → DRF NotFound */
export function notFound(modelVerboseName: string): ApiError {
  return new ApiError(404, { detail: `No ${modelVerboseName} matches the given query.` });
}
