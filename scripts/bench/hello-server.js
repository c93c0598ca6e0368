// Baseline H of `npm run bench`: bare node:http + graphql-js answering { hello }, with parse and
// validate cached per query text. The ceiling any GraphQL server on this machine can reach.
const { createServer } = require('node:http');
const { buildSchema, execute, parse, validate } = require('graphql');

const schema = buildSchema('type Query { hello: String }');
const rootValue = { hello: 'world' };
const documents = new Map();

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    let document = documents.get(query);
    if (!document) {
      document = parse(query);
      if (validate(schema, document).length > 0) throw new Error('invalid query');
      documents.set(query, document);
    }
    const result = execute({ schema, document, rootValue, variableValues: variables });
    const text = JSON.stringify(result);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
