// The page asks /api/models what each SavedModel's signatures offer and shows
// only the controls those signatures can take.
"use strict";
const $ = (id) => document.getElementById(id);
let models = [];
let current = null;

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  $("status").textContent = "";
}

function clearError() { $("error").hidden = true; $("error").textContent = ""; }

async function call(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    let detail = body && body.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
    throw new Error(detail || `request failed (${response.status})`);
  }
  return body;
}

function show(result, caption, scale) {
  const img = $("output");
  img.onload = () => {
    img.style.width = `${img.naturalWidth * scale}px`;
  };
  img.src = result.image;
  img.hidden = false;
  $("caption").textContent = caption;
  $("status").textContent = "";
}

function scaleFor(model) {
  const h = model.image_shape ? model.image_shape[0] : 64;
  return Math.max(1, Math.min(4, Math.floor(128 / h)));
}

function selectModel(name) {
  current = models.find((m) => m.name === name);
  const m = current;
  const what = [m.kind, m.family || m.class_name, m.image_shape && m.image_shape.join("x")]
    .filter(Boolean).join(", ");
  $("model-info").textContent = `${what}; version ${m.version}`;
  $("sampling").hidden = m.kind !== "generator";
  $("psi-row").hidden = !m.truncation;
  $("class-row").hidden = !m.conditional;
  $("style").hidden = !(m.style_mixing || m.latent_walk_w);
  $("mix").disabled = !m.style_mixing;
  $("translation").hidden = m.kind !== "translation";
  $("domain-row").hidden = !m.domains;
  const label = $("label");
  label.innerHTML = "";
  if (m.conditional && m.num_classes) {
    label.hidden = false; $("label-number").hidden = true;
    label.add(new Option("all classes in turn", ""));
    for (let k = 0; k < m.num_classes; k++) label.add(new Option(`class ${k}`, String(k)));
  } else { label.hidden = true; $("label-number").hidden = false; }
  const domain = $("domain");
  domain.innerHTML = "";
  const n = m.num_domains || 0;
  for (let k = 0; k < n; k++) {
    domain.add(new Option(m.domain_names ? m.domain_names[k] : `domain ${k}`, String(k)));
  }
  if (!n) domain.add(new Option("domain 0", "0"));
  $("signature-text").textContent = JSON.stringify(m.signatures, null, 1);
  $("output").hidden = true;
  $("output").removeAttribute("src");
  $("input-figure").hidden = true;
  $("caption").textContent = "";
  clearError();
}

async function run(button, work) {
  clearError();
  button.disabled = true;
  $("status").textContent = "working...";
  try { await work(); } catch (e) { showError(e.message); } finally { button.disabled = false; }
}

function json(body) {
  return { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

async function sample() {
  const m = current;
  const label = m.num_classes ? $("label").value : $("label-number").value;
  const body = { model: m.name, seed: $("seed").value, batch: $("batch").value,
                 truncation_psi: m.truncation ? $("psi").value : 1, label: label === "" ? null : label };
  const result = await call("/api/sample", json(body));
  show(result, `${result.count} samples, seed ${body.seed}` +
       (m.truncation ? `, psi ${body.truncation_psi}` : ""), scaleFor(m));
}

async function mix() {
  const m = current;
  const result = await call("/api/mix", json({ model: m.name, row_seeds: $("row-seeds").value,
    col_seeds: $("col-seeds").value, crossover: $("crossover").value }));
  show(result, `style mixing: rows take layers < ${$("crossover").value} (coarse) from their seed`,
       scaleFor(m));
}

async function walk() {
  const m = current;
  const result = await call("/api/walk", json({ model: m.name, seed_from: $("walk-from").value,
    seed_to: $("walk-to").value, steps: $("walk-steps").value, space: $("walk-space").value }));
  show(result, `latent walk in ${$("walk-space").value}`, scaleFor(m));
}

async function translate() {
  const m = current;
  const file = $("upload").files[0];
  if (!file) throw new Error("Choose an image file to translate.");
  const form = new FormData();
  form.append("model", m.name);
  form.append("file", file);
  form.append("target_domain", $("domain").value || "0");
  form.append("seed", $("translate-seed").value);
  const result = await call("/api/translate", { method: "POST", body: form });
  $("input-image").src = result.input;
  $("input-image").style.width = `${m.image_shape[0] * scaleFor(m)}px`;
  $("input-figure").hidden = false;
  show(result, "translated", scaleFor(m));
}

async function init() {
  $("psi-slider").addEventListener("input", () => { $("psi").value = $("psi-slider").value; });
  $("psi").addEventListener("input", () => { $("psi-slider").value = $("psi").value; });
  $("model").addEventListener("change", () => selectModel($("model").value));
  $("sample").addEventListener("click", () => run($("sample"), sample));
  $("mix").addEventListener("click", () => run($("mix"), mix));
  $("walk").addEventListener("click", () => run($("walk"), walk));
  $("translate").addEventListener("click", () => run($("translate"), translate));
  try {
    models = await call("/api/models");
  } catch (e) { showError(e.message); return; }
  for (const m of models) $("model").add(new Option(m.name, m.name));
  selectModel(models[0].name);
  document.body.dataset.ready = "1";
}

init();
