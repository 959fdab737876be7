// The page: sends what is in the editors to the service's own API and shows the answers. No framework, no build.
"use strict";

const $ = (id) => document.getElementById(id);
const FLATTEN_LINE = "model.add(Flatten())";
let latest = 0;  // only the answer to the latest edit is shown

function shapeText(shape) {
  if (Array.isArray(shape[0])) return shape.map(shapeText).join(", ");
  const axes = shape.map((axis) => (axis === null ? "None" : String(axis)));
  return axes.length === 1 ? `(${axes[0]},)` : `(${axes.join(", ")})`;
}

// A layer's variables as Keras names them with their shapes: "kernel (2, 16), bias (16,)".
function weightsText(weights) {
  return weights.length ? weights.map((weight) => `${weight.name} ${shapeText(weight.shape)}`).join(", ") : "none";
}

function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

class SourceError extends Error {
  constructor(message, line, column) { super(message); this.line = line; this.column = column; }
}

function jsonPosition(text, error) {
  // Browsers name the place either as "position N" or as "line L column C".
  const byLine = /line (\d+) column (\d+)/.exec(error.message);
  if (byLine) return [Number(byLine[1]), Number(byLine[2])];
  const byPosition = /position (\d+)/.exec(error.message);
  if (!byPosition) return [null, null];
  const before = text.slice(0, Number(byPosition[1])).split("\n");
  return [before.length, before[before.length - 1].length + 1];
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    const [line, column] = jsonPosition(text, error);
    throw new SourceError(`not valid JSON: ${error.message}`, line, column);
  }
}

// The request body for an editor's text: code as {"code"}, a JSON spec as {"model"}, or a whole JSON body.
function modelBody(text) {
  if (!text.trim().startsWith("{")) return {code: text};
  const parsed = parseJson(text);
  return ("model" in parsed || "code" in parsed) ? parsed : {model: parsed};
}

// A FormData body goes as multipart/form-data (the browser sets its boundary), anything else as JSON.
async function post(path, body) {
  const form = body instanceof FormData;
  const response = await fetch(path, {method: "POST", headers: form ? {} : {"Content-Type": "application/json"},
                                      body: form ? body : JSON.stringify(body)});
  const isJson = (response.headers.get("Content-Type") || "").includes("json");
  return {ok: response.ok, answer: isJson ? await response.json() : await response.text()};
}

function clearError(box, editor) {
  box.hidden = true;
  box.replaceChildren();
  editor.removeAttribute("aria-invalid");
}

function goToLine(editor, line) {
  const lines = editor.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1] || "").length);
}

// An error where it is: the code's line with a caret under the column, or the JSON location of each error.
function showError(box, editor, message, line, column, locations) {
  box.replaceChildren();
  editor.setAttribute("aria-invalid", "true");
  const heading = document.createElement("div");
  heading.textContent = line ? `Line ${line}${column ? `, column ${column}` : ""}: ${message}` : message;
  box.append(heading);
  if (line) {
    const excerpt = document.createElement("pre");
    const text = editor.value.split("\n")[line - 1] || "";
    excerpt.textContent = `${line} | ${text}\n${" ".repeat(String(line).length + 3 + Math.max(0, (column || 1) - 1))}^`;
    const go = document.createElement("button");
    go.type = "button";
    go.textContent = `Go to line ${line}`;
    go.addEventListener("click", () => goToLine(editor, line));
    box.append(excerpt, go);
  }
  for (const item of locations || []) {
    const entry = document.createElement("div");
    entry.textContent = `at ${item.loc.join(" › ") || "the body"}: ${item.msg}`;
    box.append(entry);
  }
  box.hidden = false;
}

function showProblem(problem, boxes) {
  const items = problem.errors || [];
  const onInputs = items.length > 0 && items.every((item) => item.loc[0] === "inputs");
  const [box, editor] = onInputs ? boxes.inputs : boxes.source;
  const message = problem.line ? problem.detail.replace(/^line \d+, column \d+: /, "") : problem.detail;
  showError(box, editor, message, problem.line, problem.column, problem.line ? [] : items.slice(0, 5));
}

function cell(row, text, className) {
  const td = document.createElement(row.parentElement && row.parentElement.tagName === "THEAD" ? "th" : "td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function isChain(rows) {
  return rows.every((row, i) => row.inbound.length === (i ? 1 : 0) && (!i || row.inbound[0] === rows[i - 1].name));
}

// What a row holds beyond the columns, as terms and their text: read on demand, so the table fits the screen.
function detailTerms(row, graph) {
  const terms = [["Input shape", shapeText(row.input_shape)]];
  if (graph) terms.push(["From", row.inbound.length ? row.inbound.join(", ") : "the model's input"]);
  if (row.weights !== undefined) terms.push(["Weights", weightsText(row.weights)]);
  if (row.macs !== undefined) terms.push(["Multiply-adds", `${row.macs.toLocaleString("en-US")} per example`]);
  if (row.why) terms.push(["Why this shape", sentence(row.why.shape)], ["Why these params", sentence(row.why.params)]);
  if (row.layers) terms.push(["Inside", `${row.layers.length} layers: ${row.layers.map((l) => l.name).join(", ")}`]);
  return terms;
}

function detailsRow(tbody, row, graph, span, id) {
  const tr = tbody.insertRow();
  tr.className = "details";
  tr.id = id;
  tr.hidden = true;
  const td = cell(tr, "");
  td.colSpan = span;
  const list = document.createElement("dl");
  for (const [term, text] of detailTerms(row, graph)) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = text;
    list.append(dt, dd);
  }
  td.append(list);
  return tr;
}

function toggle(button, details) {
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  details.hidden = !open;
}

// The layer table: the columns a reader scans (name, type, output shape, params, and trainable where a layer is
// frozen) and under each row the rest (input shape, feeders, weights, multiply-adds, why) on a click. The table
// is made anew each time: its head and body are replaced, never added to. Returns the layers' rows, in order.
function renderTable(table, rows) {
  const graph = !isChain(rows);
  const frozen = rows.some((row) => row.trainable === false);
  const titles = [["Layer", ""], ["Type", ""], ["Output shape", ""], ["Params", "number"],
                  ...(frozen ? [["Trainable", ""]] : [])];
  const head = document.createElement("thead");
  const tbody = document.createElement("tbody");
  table.replaceChildren(head, tbody);
  const top = head.insertRow();
  for (const [title, kind] of titles) cell(top, title, kind);
  const layerRows = [];
  rows.forEach((row, i) => {
    const tr = tbody.insertRow();
    tr.className = "layer";
    tr.dataset.name = row.name;
    const name = cell(tr, "");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "expand";
    button.textContent = row.name;
    button.setAttribute("aria-expanded", "false");
    button.title = "Show the input shape, weights and why";
    name.append(button);
    cell(tr, row.type);
    cell(tr, shapeText(row.output_shape), "shape");
    cell(tr, row.params.toLocaleString("en-US"), "number");
    if (frozen) cell(tr, row.trainable === false ? "no" : "yes");
    const detailsId = `${table.id}-details-${i}`;
    button.setAttribute("aria-controls", detailsId);
    const details = detailsRow(tbody, row, graph, titles.length, detailsId);
    tr.addEventListener("click", (event) => { if (!event.target.closest("a")) toggle(button, details); });
    layerRows.push(tr);
  });
  return layerRows;
}

// What belongs to the last model answered: cleared when a new one is refused, so nothing under an error is stale.
function clearAnswer() {
  $("verdict").replaceChildren();
  $("layers").replaceChildren();
  $("diagram").replaceChildren();
  $("summary").textContent = "";
  $("spec").textContent = "";
}

// A picture with nested models holds one drawing per model (g.drawing, each with its part of the picture as
// data-view): one is shown at a time; a nested model's box (g.nested, data-opens) opens its drawing, Back returns.
let trail = [];  // the drawings opened, the model's own first

function showDrawing(svg, number) {
  let shown = null;
  for (const drawing of svg.querySelectorAll("g.drawing")) {
    const on = drawing.dataset.drawing === String(number);
    drawing.setAttribute("display", on ? "inline" : "none");
    if (on) shown = drawing;
  }
  if (!shown) return;
  const view = shown.dataset.view.split(" ");
  svg.setAttribute("viewBox", view.join(" "));
  svg.setAttribute("width", view[2]);
  svg.setAttribute("height", view[3]);
  $("drawing-trail").hidden = trail.length < 2;
  $("drawing-name").textContent = shown.dataset.model ? `Inside ${shown.dataset.model}` : "";
  $("diagram").scrollTo(0, 0);
}

function openNested(svg, event) {
  const box = event.target.closest("g.nested");
  if (!box || (event.type === "keydown" && event.key !== "Enter" && event.key !== " ")) return;
  event.preventDefault();
  trail.push(box.dataset.opens);
  showDrawing(svg, box.dataset.opens);
}

function showDiagram(answer) {
  const svg = document.importNode(new DOMParser().parseFromString(answer, "image/svg+xml").documentElement, true);
  $("diagram").replaceChildren(svg);
  trail = ["0"];
  $("drawing-trail").hidden = true;
  if (!svg.querySelector("g.drawing")) return;
  showDrawing(svg, "0");
  svg.addEventListener("click", (event) => openNested(svg, event));
  svg.addEventListener("keydown", (event) => openNested(svg, event));
}

function drawingBack() {
  const svg = $("diagram").querySelector("svg");
  if (!svg || trail.length < 2) return;
  trail.pop();
  showDrawing(svg, trail[trail.length - 1]);
}

async function drawDiagram(body, sequence) {
  const {ok, answer} = await post("/v1/diagram", body);
  if (sequence !== latest) return;
  if (!ok) return $("diagram").replaceChildren();
  showDiagram(answer);
}

function inputsOf(text) {
  try {
    return text.trim() ? {inputs: parseJson(text)} : {};
  } catch (error) {
    throw Object.assign(error, {onInputs: true});
  }
}

// A model file chosen or dropped: answered instead of the editor's text until the text is edited again.
let modelFile = null;

function chooseFile(file) {
  if (!file) return;
  modelFile = file;
  $("file-status").textContent = `${file.name}, ${file.size.toLocaleString("en-US")} bytes: answered from the file`;
  runSingle();
}

function upload(inputs) {
  const form = new FormData();
  form.append("model", modelFile, modelFile.name);
  if (inputs !== undefined) form.append("inputs", JSON.stringify(inputs));
  return form;
}

// The file's model as the API takes it (multipart: the part "model", and "inputs" for a prediction).
async function runFile(sequence, boxes) {
  let inputs;
  try {
    inputs = inputsOf($("inputs").value);
  } catch (error) {
    clearAnswer();
    return showError(...boxes.inputs, error.message, error.line, error.column);
  }
  const predicting = "inputs" in inputs;
  post("/v1/diagram", upload()).then(({ok, answer}) => {
    if (sequence !== latest) return;
    if (!ok) return $("diagram").replaceChildren();
    showDiagram(answer);
  });
  const {ok, answer} = await post(predicting ? "/v1/predict" : "/v1/summary", upload(inputs.inputs));
  if (sequence !== latest) return;
  if (!ok) {
    clearAnswer();
    return showProblem(answer, boxes);
  }
  showAnswer(answer, !predicting);
  $("spec").textContent = `(the model file ${modelFile.name} was sent)`;
}

async function runSingle() {
  const sequence = ++latest;
  const boxes = {source: [$("source-error"), $("source")], inputs: [$("inputs-error"), $("inputs")]};
  clearError(...boxes.source);
  clearError(...boxes.inputs);
  if (modelFile) return runFile(sequence, boxes);
  let body, inputs;
  try {
    body = modelBody($("source").value);
    inputs = inputsOf($("inputs").value);
  } catch (error) {
    const [box, editor] = error.onInputs ? boxes.inputs : boxes.source;
    clearAnswer();
    return showError(box, editor, error.message, error.line, error.column);
  }
  const predicting = "code" in body || "inputs" in inputs || "inputs" in body;
  drawDiagram({model: body.model, code: body.code}, sequence);
  let {ok, answer} = await post(predicting ? "/v1/predict" : "/v1/summary", {...body, ...inputs});
  const noArray = !ok && !("inputs" in inputs) && (answer.errors || []).some((e) => e.loc[0] === "inputs");
  if (noArray) ({ok, answer} = await post("/v1/summary", {model: body.model, code: body.code}));
  if (sequence !== latest) return;
  if (!ok) {
    clearAnswer();
    return showProblem(answer, boxes);
  }
  showAnswer(answer, noArray || !predicting);
}

function showAnswer(answer, summaryOnly) {
  const last = answer.layers[answer.layers.length - 1];
  const verdict = $("verdict");
  verdict.replaceChildren();
  const shape = document.createElement("strong");
  shape.id = "output-shape";
  shape.textContent = summaryOnly ? shapeText(last.output_shape) : shapeText(answer.output_shape);
  const total = document.createElement("strong");
  total.id = "total-params";
  total.textContent = answer.params.total.toLocaleString("en-US");
  verdict.append(summaryOnly ? "Output shape " : "Predictions have shape ", shape, " · ", total, " params");
  renderTable($("layers"), answer.layers);
  $("summary").textContent = answer.summary;
  $("spec").textContent = answer.model ? JSON.stringify(answer.model, null, 2) : "(a JSON spec was sent)";
}

function rowKey(row) {
  return row ? [row.type, shapeText(row.input_shape), shapeText(row.output_shape), row.params].join("|") : "";
}

async function runCompare() {
  const sequence = ++latest;
  const sides = ["left", "right"];
  const answers = await Promise.all(sides.map(async (side) => {
    const box = $(`${side}-error`), editor = $(`${side}-source`);
    clearError(box, editor);
    try {
      const body = modelBody(editor.value);
      const {ok, answer} = await post("/v1/summary", {model: body.model, code: body.code});
      if (!ok) showProblem(answer, {source: [box, editor], inputs: [box, editor]});
      return ok ? answer : null;
    } catch (error) {
      showError(box, editor, error.message, error.line, error.column);
      return null;
    }
  }));
  if (sequence !== latest) return;
  const tables = sides.map((side, i) => {
    if (answers[i]) return renderTable($(`${side}-layers`), answers[i].layers);
    $(`${side}-layers`).replaceChildren();
    return [];
  });
  sides.forEach((side, i) => {
    const answer = answers[i];
    $(`${side}-verdict`).textContent = answer ? `Output ${shapeText(answer.layers[answer.layers.length - 1]
      .output_shape)} · ${answer.params.total.toLocaleString("en-US")} params` : "";
  });
  if (!answers[0] || !answers[1]) return;
  const [left, right] = answers.map((answer) => answer.layers);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const differs = rowKey(left[i]) !== rowKey(right[i]);
    for (const [rows, table] of [[left, tables[0]], [right, tables[1]]]) {
      if (rows[i]) table[i].classList.toggle("differs", differs);
    }
  }
}

function debounced(run) {
  let timer;
  return () => { clearTimeout(timer); timer = setTimeout(run, 500); };
}

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function runCurrent() {
  return mode() === "compare" ? runCompare() : runSingle();
}

async function start() {
  const document_ = await (await fetch("/openapi.json")).json();
  const content = document_.paths["/v1/predict"].post.requestBody.content["application/json"];
  const seed = content.examples.code.value.code;
  $("source").value = seed;
  $("left-source").value = seed;
  $("right-source").value = seed.split("\n").filter((line) => line.trim() !== FLATTEN_LINE).join("\n");
  for (const id of ["source", "inputs"]) $(id).addEventListener("input", debounced(runSingle));
  $("source").addEventListener("input", () => {
    modelFile = null;
    $("model-file").value = "";
    $("file-status").textContent = "";
  });
  $("model-file").addEventListener("change", () => chooseFile($("model-file").files[0]));
  // Anywhere on the page: a file dropped elsewhere would otherwise be opened by the browser in place of the page.
  const drop = $("drop");
  document.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  document.addEventListener("dragleave", () => drop.classList.remove("over"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    chooseFile(event.dataTransfer.files[0]);
  });
  $("drawing-back").addEventListener("click", drawingBack);
  for (const id of ["left-source", "right-source"]) $(id).addEventListener("input", debounced(runCompare));
  $("run").addEventListener("click", runSingle);
  $("compare-run").addEventListener("click", runCompare);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); runCurrent(); }
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => {
      $("single").hidden = mode() !== "single";
      $("compare").hidden = mode() !== "compare";
      runCurrent();
    });
  }
  await runSingle();
}

start();
