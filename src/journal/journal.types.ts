// Placeholder of the journal's contract until branch `journal` is merged (taken from theirs on merge).
export interface RequestFacts {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}
