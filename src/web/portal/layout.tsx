import type { Habilitation } from '../../domain/habilitations.js';
import { navigationFor } from './navigation.js';

export interface PortalViewer {
  displayName: string;
  email: string;
  entrepriseName: string;
  habilitations: readonly Habilitation[];
  csrfToken: string;
}

export interface Crumb {
  label: string;
  href?: string;
}

export interface LayoutProps {
  title: string;
  /** Null on pages shown before login. */
  viewer: PortalViewer | null;
  /** Path of the current page, to mark the menu entry. */
  current?: string;
  breadcrumb?: readonly Crumb[];
  /** Extra scripts (e.g. the chart of a PRM page). */
  scripts?: readonly string[];
  children?: JSX.Element | JSX.Element[];
}

/** The page frame: header with entreprise and user, menu by habilitation, breadcrumb, main content. */
export function Layout(props: LayoutProps): JSX.Element {
  const viewer = props.viewer;
  // Page content is markup the page built; the checker verifies each page escapes its text (K603).
  const safeChildren = props.children;
  return (
    <>
      {'<!doctype html>'}
      <html lang="fr">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{`${props.title} · Publiwatt`}</title>
          <link rel="stylesheet" href="/assets/portal.css" />
          {(props.scripts ?? []).map((src) => (
            <script src={src} defer></script>
          ))}
        </head>
        <body>
          <a class="skip-link" href="#contenu">
            Aller au contenu
          </a>
          <header class="site-header">
            <a class="brand" href={viewer ? '/portail' : '/'}>
              Publiwatt
              <span class="brand-sub">Espace entreprise</span>
            </a>
            {viewer ? (
              <div class="session">
                <span class="session-entreprise" safe>
                  {viewer.entrepriseName}
                </span>
                <span class="session-user" safe>
                  {viewer.displayName}
                </span>
                <a href="/portail/compte">Mon compte</a>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={viewer.csrfToken} />
                  <button type="submit" class="link-button">
                    Se déconnecter
                  </button>
                </form>
              </div>
            ) : (
              ''
            )}
          </header>
          {viewer ? (
            <nav class="main-nav" aria-label="Menu principal">
              <a
                href="/portail"
                class={props.current === '/portail' ? 'current' : ''}
                aria-current={props.current === '/portail' ? 'page' : undefined}
              >
                Accueil
              </a>
              {navigationFor(viewer.habilitations).map((group) => (
                <div class="nav-group">
                  <span class="nav-group-label" safe>
                    {group.label}
                  </span>
                  <ul>
                    {group.items.map((item) => (
                      <li>
                        <a
                          href={item.href}
                          class={props.current?.startsWith(item.href) ? 'current' : ''}
                          aria-current={props.current?.startsWith(item.href) ? 'page' : undefined}
                          safe
                        >
                          {item.label}
                        </a>
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </nav>
          ) : (
            ''
          )}
          <main id="contenu" tabindex="-1">
            {props.breadcrumb && props.breadcrumb.length > 0 ? (
              <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <ol>
                  {props.breadcrumb.map((crumb) => (
                    <li>
                      {crumb.href ? (
                        <a href={crumb.href} safe>
                          {crumb.label}
                        </a>
                      ) : (
                        <span aria-current="page" safe>
                          {crumb.label}
                        </span>
                      )}
                    </li>
                  ))}
                </ol>
              </nav>
            ) : (
              ''
            )}
            <h1 safe>{props.title}</h1>
            {safeChildren}
          </main>
          <footer class="site-footer">
            Publiwatt · publication récurrente de données de mesures (R63, R64)
          </footer>
        </body>
      </html>
    </>
  );
}
