// A stand-in Lambda container for one invocation: imports a synthesised bundle (cdk.out/asset.*/index.mjs),
// calls its `handler` with a Lambda-like context, and reports the result or the error (name = ASL error) over IPC.
process.once("message", async ({ bundle, event, timeoutMs }) => {
  const deadline = Date.now() + timeoutMs;
  const context = { awsRequestId: "artifact-test", getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  try {
    const { handler } = await import(bundle);
    const result = await handler(event, context);
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, name: err?.name ?? "Error", message: String(err?.message ?? err) }, () => process.exit(0));
  }
});
