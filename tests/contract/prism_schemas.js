// Which request schemas can Prism not validate? Usage: node prism_schemas.js SPEC...
//
// Prism compiles each schema with ajv and treats a compile error as "no errors" (prism-http
// validator/validators/utils.js, validateAgainstSchema), so a schema ajv refuses silently turns request
// validation off for that operation. This loads each spec the way `prism mock` does (prism-http's
// getHttpOperationsFromSpec), compiles every request body and parameter schema with ajv configured as
// Prism configures it, and prints one JSON object: {spec: {operations: N, failures: [[method, path, what,
// error], ...]}}.
"use strict";

const prismHttp = require.resolve("@stoplight/prism-http");
const { getHttpOperationsFromSpec } = require(prismHttp);
const Ajv = require(require.resolve("ajv", { paths: [prismHttp] })).default; // the ajv Prism itself uses
const addFormats = require(require.resolve("ajv-formats", { paths: [prismHttp] })).default;

function compiler() {
  const ajv = new Ajv({
    allErrors: true,
    allowUnionTypes: true,
    allowMatchingProperties: true,
    strict: false,
    logger: false,
  });
  addFormats(ajv);
  return ajv;
}

async function check(spec) {
  const ajv = compiler();
  const operations = await getHttpOperationsFromSpec(spec);
  const failures = [];
  for (const op of operations) {
    const request = op.request || {};
    const schemas = [];
    for (const content of (request.body && request.body.contents) || []) {
      schemas.push([`body ${content.mediaType}`, content.schema]);
    }
    for (const where of ["path", "query", "headers"]) {
      for (const param of request[where] || []) schemas.push([`${where} ${param.name}`, param.schema]);
    }
    for (const [what, schema] of schemas) {
      if (!schema) continue;
      try {
        ajv.compile({ ...schema, __bundled__: op.__bundled__ });
      } catch (error) {
        failures.push([op.method.toUpperCase(), op.path, what, String(error.message).slice(0, 200)]);
      }
    }
  }
  return { operations: operations.length, failures };
}

(async () => {
  const out = {};
  for (const spec of process.argv.slice(2)) out[spec] = await check(spec);
  process.stdout.write(JSON.stringify(out));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
