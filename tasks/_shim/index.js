"use strict";
// Shared entry point of every apiops task (copied into each task folder at packaging time).
//
// There is no Python handler in Azure Pipelines, so this Node file finds a Python >= 3.10 and
// runs `python -m apiops_core.tasks.bootstrap <module>` with the task folder's wheel on
// PYTHONPATH. Rules it must keep (see the agent contract):
//  * never load azure-pipelines-task-lib: on import it deletes INPUT_*, ENDPOINT_AUTH_* and SECRET_*
//    from process.env on import, and the Python side would see nothing;
//  * pass the environment through untouched (only PYTHON* settings are added);
//  * report failures with ##vso[task.complete result=Failed] and always exit 0: a non-zero
//    exit means "infrastructure failure" to the agent.
// No dependencies: plain Node 20/24 standard library.

const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const MIN_PYTHON = [3, 10];
const isWindows = process.platform === "win32";

function escapeData(text) {
  return String(text).replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function fail(message) {
  const m = escapeData(message);
  process.stdout.write("##vso[task.logissue type=error;]" + m + "\n");
  process.stdout.write("##vso[task.complete result=Failed;]" + m + "\n", () => process.exit(0));
}

function readEntry() {
  const entry = JSON.parse(fs.readFileSync(path.join(__dirname, "entry.json"), "utf8"));
  if (!/^[a-z_][a-z0-9_]*$/.test(entry.module || "")) throw new Error("entry.json names no task module");
  return entry.module;
}

function findWheel() {
  const wheels = fs.readdirSync(__dirname).filter((f) => /^apiops_core-.*\.whl$/.test(f)).sort();
  return wheels.length ? path.join(__dirname, wheels[wheels.length - 1]) : "";
}

// Interpreters to try, in order: the toolchain (Build extractor's job variable), then whatever
// UsePythonVersion or the image put on PATH. On Windows the "py" launcher comes first because
// "python" may be the Microsoft Store alias stub.
function candidates(env) {
  const list = [];
  if (env.APIOPS_PYTHON) list.push({ exe: env.APIOPS_PYTHON, pre: [] });
  if (isWindows) list.push({ exe: "py", pre: ["-3"] }, { exe: "python", pre: [] }, { exe: "python3", pre: [] });
  else list.push({ exe: "python3", pre: [] }, { exe: "python", pre: [] });
  return list;
}

// Returns "3.11" for a usable interpreter, "" for one that is absent or broken.
function probe(candidate, env) {
  const r = spawnSync(candidate.exe, [...candidate.pre, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    env, encoding: "utf8", windowsHide: true, timeout: 60000,
  });
  if (r.error || r.status !== 0) return "";
  return (r.stdout || "").trim();
}

function atLeast(version, minimum) {
  const parts = version.split(".").map((p) => parseInt(p, 10));
  return parts[0] > minimum[0] || (parts[0] === minimum[0] && parts[1] >= minimum[1]);
}

function main() {
  let module;
  try {
    module = readEntry();
  } catch (err) {
    return fail("The task folder is damaged (entry.json): " + err.message);
  }
  const wheel = findWheel();
  const env = Object.assign({}, process.env, {
    PYTHONUNBUFFERED: "1",
    PYTHONIOENCODING: "utf-8",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONUTF8: "1",
    APIOPS_TASK_DIR: __dirname,
    APIOPS_TASK_WHEEL: wheel,
  });
  if (wheel) env.PYTHONPATH = [wheel, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);

  const tried = [];
  let chosen = null;
  for (const c of candidates(process.env)) {
    const version = probe(c, env);
    tried.push(c.exe + (c.pre.length ? " " + c.pre.join(" ") : "") + (version ? " (" + version + ")" : " (not found)"));
    if (version && atLeast(version, MIN_PYTHON)) { chosen = c; break; }
  }
  if (!chosen) {
    return fail(
      "apiops needs Python " + MIN_PYTHON.join(".") + " or later on the agent, and none was found (tried: " +
      tried.join(", ") + "). Add the UsePythonVersion task before this task, e.g. " +
      "'- task: UsePythonVersion@0' with 'inputs: versionSpec: \"3.12\"', or install Python 3 in the container image."
    );
  }

  const child = spawn(chosen.exe, [...chosen.pre, "-m", "apiops_core.tasks.bootstrap", module], {
    stdio: "inherit", env, windowsHide: true,
  });
  const forward = (signal) => { try { child.kill(signal); } catch (_) { /* already gone */ } };
  process.on("SIGINT", forward);   // cancellation: the agent sends SIGINT, then SIGTERM
  process.on("SIGTERM", forward);
  child.on("error", (err) => fail("Could not start " + chosen.exe + ": " + err.message));
  child.on("exit", (code, signal) => {
    if (code !== 0) {
      return fail("The apiops task process ended with " + (signal ? "signal " + signal : "exit code " + code));
    }
    process.exit(0);
  });
}

main();
