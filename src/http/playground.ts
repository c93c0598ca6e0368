import { type ApolloServerPlugin } from '@apollo/server';

const EXAMPLES: Record<string, { query: string; variables: string }> = {
  register: {
    query: `mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AuthPayload { accessToken expiresIn user { id account username email } }
    ... on InvalidInput { infocode info message violations { field infocode message } }
    ... on ErrorResult { infocode info message }
  }
}`,
    variables: `{ "input": { "username": "Ada Lovelace", "email": "ada@example.com", "password": "analytical engine" } }`,
  },
  login: {
    query: `mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload { accessToken expiresIn user { id account username } }
    ... on ErrorResult { infocode info message }
  }
}`,
    variables: `{ "input": { "email": "ada@example.com", "password": "analytical engine" } }`,
  },
  me: {
    query: `query Me {
  me {
    __typename
    ... on User { id account username email avatar introduction role createdAt }
    ... on ErrorResult { infocode info message }
  }
}`,
    variables: '{}',
  },
  updateProfile: {
    query: `mutation UpdateProfile($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on User { id username avatar introduction updatedAt }
    ... on ErrorResult { infocode info message }
  }
}`,
    variables: `{ "input": { "introduction": "First programmer." } }`,
  },
  infoCodes: {
    query: `query InfoCodes {
  infoCodes { infocode info description remedy }
}`,
    variables: '{}',
  },
};

/**
 * A small, self-contained playground: no script, font or style is loaded from anywhere else, so
 * it works on a machine with no internet. (A full GraphiQL build replaces it in a later issue.)
 */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Account API playground</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; display: grid; grid-template-rows: auto 1fr; height: 100vh; }
  header { padding: 8px 12px; background: #1f2937; color: #f9fafb; display: flex; gap: 8px; align-items: center; }
  header h1 { font-size: 15px; margin: 0 12px 0 0; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; padding: 8px; min-height: 0; }
  section { display: flex; flex-direction: column; gap: 4px; min-height: 0; }
  label { font-weight: 600; }
  textarea, pre { font: 13px ui-monospace, monospace; border: 1px solid #d1d5db; border-radius: 4px; padding: 6px; margin: 0; }
  textarea { resize: vertical; }
  #query { flex: 1; min-height: 200px; }
  #result { flex: 1; overflow: auto; background: #f9fafb; white-space: pre-wrap; }
  button { padding: 6px 14px; font-weight: 600; cursor: pointer; }
</style>
</head>
<body>
<header>
  <h1>Account API</h1>
  <label for="example">Example</label>
  <select id="example">${Object.keys(EXAMPLES)
    .map((name) => `<option value="${name}">${name}</option>`)
    .join('')}</select>
  <button id="run" type="button">Run ▶</button>
</header>
<main>
  <section>
    <label for="query">Operation</label>
    <textarea id="query" spellcheck="false"></textarea>
    <label for="variables">Variables (JSON)</label>
    <textarea id="variables" rows="4" spellcheck="false"></textarea>
    <label for="headers">Headers (JSON)</label>
    <textarea id="headers" rows="3" spellcheck="false">{ "Authorization": "Bearer " }</textarea>
  </section>
  <section>
    <label for="result">Response</label>
    <pre id="result" aria-live="polite"></pre>
  </section>
</main>
<script>
  const examples = ${JSON.stringify(EXAMPLES).replace(/</g, '\\u003c')};
  const $ = (id) => document.getElementById(id);
  function load(name) { $('query').value = examples[name].query; $('variables').value = examples[name].variables; }
  $('example').addEventListener('change', (event) => load(event.target.value));
  $('run').addEventListener('click', async () => {
    let variables, headers;
    try { variables = JSON.parse($('variables').value || '{}'); headers = JSON.parse($('headers').value || '{}'); }
    catch (error) { $('result').textContent = 'Variables and headers must be JSON: ' + error.message; return; }
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === 'authorization' && String(value).trim() === 'Bearer') delete headers[name];
    }
    const response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: $('query').value, variables }),
    });
    const body = await response.json();
    $('result').textContent = JSON.stringify(body, null, 2);
    const token = body && body.data && Object.values(body.data).map((v) => v && v.accessToken).find(Boolean);
    if (token) $('headers').value = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 1);
  });
  load('register');
</script>
</body>
</html>
`;

/** Serves the playground on GET /graphql to browsers (Apollo's landing-page hook). */
export function playgroundPlugin(): ApolloServerPlugin {
  return {
    serverWillStart() {
      return Promise.resolve({
        renderLandingPage: () => Promise.resolve({ html: PLAYGROUND_HTML }),
      });
    },
  };
}
