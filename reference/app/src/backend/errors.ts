/** An error that becomes `{detail}` with its HTTP status. */
export class ApiError extends Error {
  constructor(public status: number, public detail: string) {
    super(detail);
  }
}
