# The AWS Batch job image: the repo with its production dependencies, running handlers/batch.ts
# (TypeScript loaded by tsx, as the CLI does). Built by `cdk deploy` (ContainerImage.fromAsset);
# the state machine passes each job's StepEvent in RUNNABLE_STEP_EVENT.
FROM public.ecr.aws/docker/library/node:22-bookworm-slim

# Notebook steps (NotebookTask) run a Jupyter kernel: Python with nbclient + ipykernel from Debian,
# and matplotlib for plots (add the Debian packages your notebooks import to this line).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-nbclient python3-ipykernel python3-nbformat python3-matplotlib \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    PYDEVD_DISABLE_FILE_VALIDATION=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .

# Steps run in a fresh directory under /tmp per job; the code stays read-only to the job user.
USER node
ENTRYPOINT []
CMD ["node", "--import", "tsx", "--conditions=runnable-ts-source", "handlers/batch.ts"]
