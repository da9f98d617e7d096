/**
 * Names that parameters, returns, Map `iterateAs` and secrets cannot take.
 *
 * A ShellTask exports every name in its scope as an environment variable of that name (the
 * Contract), on top of the environment it inherits. Some variables change what bash, the dynamic
 * loader or a language runtime does before or while the command runs — `BASH_ENV` names a file bash
 * sources at start-up, `PATH` picks the binaries, `LD_PRELOAD` loads code into every process,
 * `NODE_OPTIONS`/`PYTHONSTARTUP` run code in every interpreter, `IFS`/`SHELLOPTS` change how the
 * command is parsed. A parameter of such a name would be code execution for whoever can set a
 * parameter (`RUNNABLE_PRM_…`, a parameters file, the runs API). So these names are refused before
 * a run starts, in every pipeline (one rule: a shell step added later cannot make a harmless
 * parameter dangerous), and the shell runner refuses them again as a last line.
 *
 * The `RUNNABLE_` prefix is ours (run id, step path, attempt, output file, configuration).
 */

/** Refused as they are. */
const EXACT = new Set([
  // bash and POSIX shells: start-up files, parsing, prompts and hooks that run code.
  "BASH_ENV", "ENV", "PATH", "IFS", "CDPATH", "GLOBIGNORE", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND",
  "PS1", "PS2", "PS3", "PS4", "HOME", "SHELL", "TMPDIR", "POSIXLY_CORRECT",
  // Programs that run another program named in a variable.
  "EDITOR", "VISUAL", "PAGER", "LESSOPEN", "LESSCLOSE", "MANPAGER", "BROWSER",
  // glibc: modules and files loaded by name.
  "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "LANG", "LANGUAGE",
  // Other runtimes' code-loading options.
  "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "PERL5LIB", "PERL5OPT", "PERLLIB",
  "RUBYOPT", "RUBYLIB", "GEM_HOME", "GEM_PATH",
  // Where TLS trust and network traffic go.
  "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
  "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
]);

/** Refused with any suffix. */
const PREFIXES = [
  "BASH_", // BASH_FUNC_x%% (exported functions), BASH_XTRACEFD, BASH_LOADABLES_PATH, …
  "LD_", "DYLD_", // the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, DYLD_INSERT_LIBRARIES)
  "LC_", "MALLOC_",
  "NODE_", "NPM_CONFIG_", "npm_config_", // NODE_OPTIONS, NODE_PATH, NODE_TLS_REJECT_UNAUTHORIZED, npm's config
  "PYTHON", // PYTHONPATH, PYTHONSTARTUP, PYTHONHOME, …
  "GIT_", // GIT_SSH_COMMAND, GIT_CONFIG_*, GIT_EXEC_PATH
  "AWS_", // credentials, endpoints and CA bundles of every AWS SDK and the CLI
  "XDG_", // where programs read their configuration from
  "RUNNABLE_", // ours
];

/** Why `name` cannot be a parameter/return/secret name, or undefined when it can. */
export function reservedNameProblem(name: string): string | undefined {
  if (EXACT.has(name)) return "the name is reserved";
  const prefix = PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `names starting with ${prefix} are reserved`;
  return undefined;
}

/** The sentence every refusal ends with: why, and what to do. */
export const RESERVED_HINT =
  "shell steps export parameters as environment variables of their own name, and this one would change what bash, " +
  "the dynamic loader or a language runtime does (see SECURITY.md); rename it";

/** `<what> "<name>": <why>; <hint>` when the name is reserved, else undefined. */
export function reservedNameMessage(what: string, name: string): string | undefined {
  const why = reservedNameProblem(name);
  return why === undefined ? undefined : `${what} ${JSON.stringify(name)} cannot be used: ${why} — ${RESERVED_HINT}`;
}
