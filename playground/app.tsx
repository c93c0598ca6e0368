import './workers';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AUTHORIZATION_HEADERS, EXAMPLE_TABS } from './examples';

// The page is served on the GraphQL endpoint itself, so the API is wherever the page is.
const fetcher = createGraphiQLFetcher({ url: `${location.origin}${location.pathname}` });

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={EXAMPLE_TABS}
      defaultHeaders={AUTHORIZATION_HEADERS}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
    />
  </StrictMode>,
);
